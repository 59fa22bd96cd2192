{{- define "fleetwire.labels" -}}
app.kubernetes.io/name: fleetwire
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
