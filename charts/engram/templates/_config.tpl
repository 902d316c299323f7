{{/*
The ConfigMap entries the chart derives from its own values. The `config` value's entries follow them in the
ConfigMap; checks.yaml refuses one that names a variable set here or in engram.chartEnv, naming the value
that sets it (engram.chartSettings), since it would be a second key in the ConfigMap or lose to the env.
*/}}
{{- define "engram.chartConfig" -}}
MCP_HTTP_HOST: "0.0.0.0"
MCP_HTTP_PORT: {{ .Values.api.port | quote }}
WORKER_HTTP_PORT: {{ .Values.worker.port | quote }}
MCP_MEMORY_STORAGE_BACKEND: {{ .Values.storage.backend | quote }}
MCP_MEMORY_BASE_DIR: /data
{{- if include "engram.postgres" . }}
DATABASE_URL_FILE: {{ include "engram.databaseUrlFile" . }}
ENGRAM_DATABASE_POOL_SIZE: {{ .Values.postgresql.poolSize | quote }}
ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS: {{ .Values.postgresql.statementTimeoutMs | quote }}
{{- if not .Values.persistence.backups.enabled }}
# No volume every pod shares: a backup on one pod's scratch space would be lost and unseen by the others.
MCP_BACKUP_ENABLED: "false"
{{- end }}
{{- else }}
MCP_MEMORY_SQLITE_PATH: /data/engram.db
{{- end }}
MCP_MEMORY_BACKUPS_PATH: {{ ternary "/backups" "/data/backups" .Values.persistence.backups.enabled }}
MCP_BACKUP_SCHEDULE: {{ .Values.backups.schedule | quote }}
MCP_BACKUP_MAX_COUNT: {{ .Values.backups.maxCount | quote }}
MCP_BACKUP_RETENTION: {{ .Values.backups.retentionDays | quote }}
MEMORY_DIR: {{ .Values.agent.memoryDir | quote }}
# A stopping api lets running agent questions reply for what its grace period leaves after the preStop
# pause and 15 s to stop the rest, then interrupts them with a 503 (docs/agent.md); Engram takes at most
# 3600 s, the longest a question may run (ENGRAM_AGENT_DEADLINE_SECONDS).
{{- $pause := ternary (int .Values.api.preStopSleepSeconds) 0 (eq (include "engram.postgres" .) "true") }}
ENGRAM_AGENT_SHUTDOWN_GRACE_SECONDS: {{ min 3600 (max 0 (sub (int .Values.api.terminationGracePeriodSeconds) (add $pause 15))) | quote }}
{{- with .Values.redis.keyPrefix }}
ENGRAM_REDIS_PREFIX: {{ . | quote }}
{{- end }}
{{- if .Values.encryption.enabled }}
ENGRAM_DB_ENCRYPTION_KEY_FILE: /etc/engram/encryption/{{ .Values.encryption.existingSecretKey }}
{{- end }}
METRICS_PUBLIC: {{ .Values.metrics.public | quote }}
{{- if and .Values.ingress.enabled .Values.ingress.trustedProxies }}
ENGRAM_TRUSTED_PROXIES: {{ join "," .Values.ingress.trustedProxies | quote }}
{{- end }}
{{- if not .Values.auth.enabled }}
MCP_ALLOW_ANONYMOUS_ACCESS: "true"
{{- end }}
{{- with include "engram.publicUrl" . }}
ENGRAM_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- if .Values.auth.oauth.enabled }}
ENGRAM_OAUTH_ENABLED: "true"
ENGRAM_OAUTH_ACCESS_TOKEN_SECONDS: {{ .Values.auth.oauth.accessTokenSeconds | quote }}
ENGRAM_OAUTH_REFRESH_TOKEN_DAYS: {{ .Values.auth.oauth.refreshTokenDays | quote }}
ENGRAM_OAUTH_GRANT_MAX_DAYS: {{ .Values.auth.oauth.grantMaxDays | quote }}
{{- if .Values.auth.oauth.openRegistration }}
ENGRAM_OAUTH_OPEN_REGISTRATION: "true"
{{- end }}
{{- end }}
{{- with .Values.tracing }}
{{- if .endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ .endpoint | quote }}
OTEL_SERVICE_NAME: {{ .serviceName | quote }}
OTEL_TRACES_SAMPLER: {{ .sampler | quote }}
OTEL_TRACES_SAMPLER_ARG: {{ .samplerRatio | toString | quote }}
{{- with .resourceAttributes }}
OTEL_RESOURCE_ATTRIBUTES: {{ include "engram.keyValueList" . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where each variable the chart sets comes from, for the refusal of a `config` entry that names one. */}}
{{- define "engram.chartSettings" -}}
MCP_HTTP_HOST: "fixed: the pods listen on every interface"
MCP_HTTP_PORT: "from api.port"
WORKER_HTTP_PORT: "from worker.port"
MCP_MEMORY_STORAGE_BACKEND: "from storage.backend"
MCP_MEMORY_BASE_DIR: "fixed: the data volume is mounted at /data"
MCP_MEMORY_SQLITE_PATH: "fixed: the database is /data/engram.db on the data volume"
DATABASE_URL_FILE: "from postgresql.url, postgresql.existingSecret or postgresql.cnpg"
ENGRAM_DATABASE_POOL_SIZE: "from postgresql.poolSize"
ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS: "from postgresql.statementTimeoutMs"
MCP_BACKUP_ENABLED: "from persistence.backups.enabled"
MCP_MEMORY_BACKUPS_PATH: "from persistence.backups.enabled"
MCP_BACKUP_SCHEDULE: "from backups.schedule"
MCP_BACKUP_MAX_COUNT: "from backups.maxCount"
MCP_BACKUP_RETENTION: "from backups.retentionDays"
MEMORY_DIR: "from agent.memoryDir"
ENGRAM_AGENT_SHUTDOWN_GRACE_SECONDS: "from api.terminationGracePeriodSeconds"
ENGRAM_REDIS_PREFIX: "from redis.keyPrefix"
ENGRAM_DB_ENCRYPTION_KEY_FILE: "from encryption.existingSecret"
METRICS_PUBLIC: "from metrics.public"
ENGRAM_TRUSTED_PROXIES: "from ingress.trustedProxies"
MCP_ALLOW_ANONYMOUS_ACCESS: "from auth.enabled"
ENGRAM_PUBLIC_URL: "from api.publicUrl"
ENGRAM_OAUTH_ENABLED: "from auth.oauth.enabled"
ENGRAM_OAUTH_ACCESS_TOKEN_SECONDS: "from auth.oauth.accessTokenSeconds"
ENGRAM_OAUTH_REFRESH_TOKEN_DAYS: "from auth.oauth.refreshTokenDays"
ENGRAM_OAUTH_GRANT_MAX_DAYS: "from auth.oauth.grantMaxDays"
ENGRAM_OAUTH_OPEN_REGISTRATION: "from auth.oauth.openRegistration"
OTEL_EXPORTER_OTLP_ENDPOINT: "from tracing.endpoint"
OTEL_SERVICE_NAME: "from tracing.serviceName"
OTEL_TRACES_SAMPLER: "from tracing.sampler"
OTEL_TRACES_SAMPLER_ARG: "from tracing.samplerRatio"
OTEL_RESOURCE_ATTRIBUTES: "from tracing.resourceAttributes"
VLLM_HOST: "from vllm.enabled or agent.external.host"
VLLM_PORT: "from vllm.port or agent.external.port"
AGENT_MODEL: "from vllm.servedModelName or agent.external.model"
ENGRAM_AGENT_FALLBACK_BASE_URL: "from agent.fallback.baseUrl"
ENGRAM_AGENT_FALLBACK_MODEL: "from agent.fallback.model"
ENGRAM_EMBEDDING_PROVIDER: "from retrieval.embedding.enabled"
MCP_EXTERNAL_EMBEDDING_URL: "from retrieval.embedding.enabled"
MCP_EXTERNAL_EMBEDDING_MODEL: "from retrieval.embedding.servedModelName"
ENGRAM_EMBEDDING_DIMENSION: "from retrieval.embedding.dimension"
ENGRAM_EMBEDDING_QUERY_PREFIX: "from retrieval.embedding.queryPrefix"
ENGRAM_RERANK_URL: "from retrieval.reranker.enabled"
ENGRAM_RERANK_MODEL: "from retrieval.reranker.servedModelName"
ENGRAM_RERANK_CANDIDATES: "from retrieval.reranker.candidates"
ENGRAM_RERANK_TIMEOUT_MS: "from retrieval.reranker.timeoutMs"
{{- end }}
