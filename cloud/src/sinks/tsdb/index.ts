export { createTsdbSink, type TsdbSink } from './tsdb-sink.js';
export type { TsdbSinkOptions } from './options.js';
export { batchLines, type BatchLines } from './batch-lines.js';
export { splitCredentials } from './influx-writer.js';
