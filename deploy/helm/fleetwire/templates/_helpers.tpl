{{- define "fleetwire.labels" -}}
app.kubernetes.io/name: fleetwire
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* The container port the probes use: the operator listener's when it is enabled. */}}
{{- define "fleetwire.probePort" -}}
{{ if .Values.http.operator.enabled }}operator{{ else }}http{{ end }}
{{- end }}

{{/* The operator listener's container port, after the `http` one; nothing when it is disabled. */}}
{{- define "fleetwire.operatorPort" -}}
{{- if .Values.http.operator.enabled -}}
- name: operator
  containerPort: {{ .Values.http.operator.port }}
{{- end }}
{{- end }}

{{/* The operator listener's variables; nothing when it is disabled. */}}
{{- define "fleetwire.operatorEnv" -}}
{{- if .Values.http.operator.enabled -}}
- name: FLEETWIRE_CLOUD_OPERATOR_HOST
  value: "0.0.0.0"
- name: FLEETWIRE_CLOUD_OPERATOR_PORT
  value: {{ .Values.http.operator.port | quote }}
{{- end }}
{{- end }}
