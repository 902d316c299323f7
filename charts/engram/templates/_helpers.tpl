{{/* Names */}}
{{- define "engram.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "engram.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "engram.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels: call with (dict "ctx" $ "component" "api") */}}
{{- define "engram.labels" -}}
helm.sh/chart: {{ include "engram.chart" .ctx }}
{{ include "engram.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: engram
{{- end }}

{{- define "engram.selectorLabels" -}}
app.kubernetes.io/name: {{ include "engram.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "engram.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "engram.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "engram.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Secrets and their keys */}}
{{- define "engram.authSecretName" -}}
{{- default (printf "%s-auth" (include "engram.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{- define "engram.oauthPasswordSecretName" -}}
{{- default (printf "%s-oauth" (include "engram.fullname" .)) .Values.auth.oauth.password.existingSecret }}
{{- end }}

{{- define "engram.redisSecretName" -}}
{{- default (printf "%s-redis" (include "engram.fullname" .)) .Values.redis.auth.existingSecret }}
{{- end }}

{{- define "engram.encryptionSecretName" -}}
{{- default (printf "%s-encryption" (include "engram.fullname" .)) .Values.encryption.existingSecret }}
{{- end }}

{{- define "engram.vllmSecretName" -}}
{{- default (printf "%s-vllm" (include "engram.fullname" .)) .Values.vllm.auth.existingSecret }}
{{- end }}

{{/* Redis is configured when bundled or external. */}}
{{- define "engram.redisConfigured" -}}
{{- if or .Values.redis.enabled .Values.redis.external.url .Values.redis.external.existingSecret }}true{{ end }}
{{- end }}

{{/* PostgreSQL storage: no data volume, several api replicas, the worker in a Deployment of its own. */}}
{{- define "engram.postgres" -}}
{{- if eq .Values.storage.backend "postgres" }}true{{ end }}
{{- end }}

{{- define "engram.separateWorker" -}}
{{- if and (include "engram.postgres" .) .Values.worker.enabled }}true{{ end }}
{{- end }}

{{/* The most api pods that may run at once outside a rollout (the autoscaler's ceiling when it is on). */}}
{{- define "engram.apiMaxReplicas" -}}
{{- if and (include "engram.postgres" .) .Values.api.autoscaling.enabled }}{{ .Values.api.autoscaling.maxReplicas }}{{ else }}{{ .Values.api.replicas }}{{ end }}
{{- end }}

{{- define "engram.cnpgClusterName" -}}
{{- printf "%s-postgres" (include "engram.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding the database URL, and its key: CloudNativePG's app Secret, an existing one, or the chart's. */}}
{{- define "engram.databaseSecretName" -}}
{{- if .Values.postgresql.cnpg.enabled }}
{{- printf "%s-app" (include "engram.cnpgClusterName" .) }}
{{- else }}
{{- default (printf "%s-database" (include "engram.fullname" .)) .Values.postgresql.existingSecret }}
{{- end }}
{{- end }}

{{- define "engram.databaseSecretKey" -}}
{{- if .Values.postgresql.cnpg.enabled }}uri{{ else }}{{ .Values.postgresql.existingSecretKey }}{{ end }}
{{- end }}

{{/* Mount path of the database URL file (DATABASE_URL_FILE), whatever Secret key holds it. */}}
{{- define "engram.databaseUrlFile" -}}
/etc/engram/database/url
{{- end }}

{{/*
Pod selectors of Engram's own processes (the api pods, and the worker pods when they are separate): the
peers a NetworkPolicy of Redis, vLLM or a retrieval model admits. A YAML list of NetworkPolicyPeer.
*/}}
{{- define "engram.clientPeers" -}}
- podSelector:
    matchLabels:
      {{- include "engram.selectorLabels" (dict "ctx" . "component" "api") | nindent 6 }}
{{- if include "engram.separateWorker" . }}
- podSelector:
    matchLabels:
      {{- include "engram.selectorLabels" (dict "ctx" . "component" "worker") | nindent 6 }}
{{- end }}
{{- end }}

{{/* `helm test`'s pods (tests/), admitted beside the peers networkPolicy.apiFrom and metricsFrom list. */}}
{{- define "engram.testPeer" -}}
- podSelector:
    matchLabels:
      {{- include "engram.selectorLabels" (dict "ctx" . "component" "test") | nindent 6 }}
{{- end }}

{{/*
topologySpreadConstraints of a component's pods: the given ones, else across nodes as evenly as the
scheduler can. Call with (dict "ctx" $ "component" "api" "constraints" <list>).
*/}}
{{- define "engram.topologySpread" -}}
{{- $labels := include "engram.selectorLabels" (dict "ctx" .ctx "component" .component) | fromYaml }}
{{- $constraints := .constraints }}
{{- if not $constraints }}
{{- $constraints = list (dict "maxSkew" 1 "topologyKey" "kubernetes.io/hostname" "whenUnsatisfiable" "ScheduleAnyway") }}
{{- end }}
{{- range $constraints }}
- {{- toYaml (merge (dict "labelSelector" (dict "matchLabels" (deepCopy $labels))) .) | nindent 2 }}
{{- end }}
{{- end }}

{{- define "engram.dataClaimName" -}}
{{- default (printf "%s-data" (include "engram.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{- define "engram.backupsClaimName" -}}
{{- default (printf "%s-backups" (include "engram.fullname" .)) .Values.persistence.backups.existingClaim }}
{{- end }}

{{/* ENGRAM_PUBLIC_URL: explicit, else the first ingress host (https when a TLS entry lists it). */}}
{{- define "engram.publicUrl" -}}
{{- if .Values.api.publicUrl }}
{{- .Values.api.publicUrl | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := first .Values.ingress.hosts }}
{{- $scheme := "http" }}
{{- range .Values.ingress.tls }}
{{- if has $host .hosts }}{{ $scheme = "https" }}{{ end }}
{{- end }}
{{- printf "%s://%s" $scheme $host }}
{{- end }}
{{- end }}

{{/*
The ingress paths: ingress.paths, plus the OAuth discovery and endpoint paths when auth.oauth is on and
no listed prefix covers them. A JSON list (read it with fromJsonArray).
*/}}
{{- define "engram.ingressPaths" -}}
{{- $paths := .Values.ingress.paths }}
{{- if .Values.auth.oauth.enabled }}
{{- range list "/.well-known/oauth-protected-resource" "/.well-known/oauth-authorization-server" "/oauth" }}
{{- $needed := . }}
{{- $covered := false }}
{{- range $paths }}
{{- if hasPrefix (printf "%s/" (trimSuffix "/" .)) (printf "%s/" $needed) }}{{ $covered = true }}{{ end }}
{{- end }}
{{- if not $covered }}{{ $paths = append $paths $needed }}{{ end }}
{{- end }}
{{- end }}
{{- toJson $paths }}
{{- end }}

{{/*
A secret value generated once: the value already stored in the cluster when there is one (so upgrades
keep it), else a random one. Call with (dict "ctx" $ "name" <secret> "key" <key> "length" 48).
*/}}
{{- define "engram.generatedSecretValue" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .name }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else }}
{{- randAlphaNum (int .length) }}
{{- end }}
{{- end }}

{{/* Environment shared by the api and the worker containers. */}}
{{- define "engram.chartEnv" -}}
{{- with .Values.tracing.headersSecret.name }}
# Exporter headers (e.g. a collector token) stay in a Secret.
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.tracing.headersSecret.key }}
{{- end }}
{{- if .Values.auth.enabled }}
- name: MCP_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "engram.authSecretName" . }}
      key: {{ .Values.auth.existingSecretKey }}
{{- end }}
{{- if .Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "engram.redisSecretName" . }}
      key: {{ .Values.redis.auth.existingSecretKey }}
- name: REDIS_URL
  value: "redis://:$(REDIS_PASSWORD)@{{ include "engram.fullname" . }}-redis:6379/0"
{{- else if .Values.redis.external.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.external.existingSecret }}
      key: {{ .Values.redis.external.existingSecretKey }}
{{- else if .Values.redis.external.url }}
- name: REDIS_URL
  value: {{ .Values.redis.external.url | quote }}
{{- end }}
{{- if .Values.vllm.enabled }}
- name: VLLM_HOST
  value: {{ include "engram.fullname" . }}-vllm
- name: VLLM_PORT
  value: {{ .Values.vllm.port | quote }}
- name: AGENT_MODEL
  value: {{ .Values.vllm.servedModelName | quote }}
- name: VLLM_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "engram.vllmSecretName" . }}
      key: {{ .Values.vllm.auth.existingSecretKey }}
{{- else if .Values.agent.external.host }}
- name: VLLM_HOST
  value: {{ .Values.agent.external.host | quote }}
- name: VLLM_PORT
  value: {{ .Values.agent.external.port | quote }}
- name: AGENT_MODEL
  value: {{ .Values.agent.external.model | quote }}
{{- if .Values.agent.external.existingSecret }}
- name: VLLM_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.agent.external.existingSecret }}
      key: {{ .Values.agent.external.existingSecretKey }}
{{- end }}
{{- end }}
{{- with .Values.agent.fallback }}
{{- if .baseUrl }}
- name: ENGRAM_AGENT_FALLBACK_BASE_URL
  value: {{ .baseUrl | quote }}
{{- with .model }}
- name: ENGRAM_AGENT_FALLBACK_MODEL
  value: {{ . | quote }}
{{- end }}
{{- if .existingSecret }}
- name: ENGRAM_AGENT_FALLBACK_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .existingSecretKey }}
{{- end }}
{{- end }}
{{- end }}
{{- include "engram.retrievalEnv" . }}
{{- end }}

{{/* The Engram containers' environment: the chart's own variables, then extraEnv. */}}
{{- define "engram.env" -}}
{{- include "engram.chartEnv" . }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Environment of the api container only: the OAuth secrets (the worker never signs anyone in).
*/}}
{{- define "engram.apiEnv" -}}
{{- if .Values.auth.oauth.enabled }}
{{- if .Values.auth.oauth.password.enabled }}
- name: ENGRAM_OAUTH_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "engram.oauthPasswordSecretName" . }}
      key: {{ .Values.auth.oauth.password.existingSecretKey }}
{{- end }}
{{- with .Values.auth.oauth.registrationToken.existingSecret }}
- name: ENGRAM_OAUTH_REGISTRATION_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.auth.oauth.registrationToken.existingSecretKey }}
{{- end }}
{{- end }}
{{- end }}

{{/* A map as the key=value,key=value list OTEL_* variables take (values percent-encoded). */}}
{{- define "engram.keyValueList" -}}
{{- $pairs := list }}
{{- range $key, $value := . }}{{ $pairs = append $pairs (printf "%s=%s" $key (urlquery (toString $value) | replace "+" "%20")) }}{{ end }}
{{- join "," $pairs }}
{{- end }}

{{- define "engram.envFrom" -}}
- configMapRef:
    name: {{ include "engram.fullname" . }}
{{- with .Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volume mounts shared by the api and the worker containers. */}}
{{- define "engram.volumeMounts" -}}
- name: data
  mountPath: /data
{{- if include "engram.postgres" . }}
- name: database-url
  mountPath: {{ include "engram.databaseUrlFile" . | dir }}
  readOnly: true
{{- end }}
{{- if .Values.persistence.backups.enabled }}
- name: backups
  mountPath: /backups
{{- end }}
- name: tmp
  mountPath: /tmp
{{- if .Values.encryption.enabled }}
- name: encryption-key
  mountPath: /etc/engram/encryption
  readOnly: true
{{- end }}
{{- end }}

{{/* Volumes of an api or worker pod (mounted by engram.volumeMounts). */}}
{{- define "engram.volumes" -}}
- name: data
  {{- if and .Values.persistence.enabled (not (include "engram.postgres" .)) }}
  persistentVolumeClaim:
    claimName: {{ include "engram.dataClaimName" . }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- if include "engram.postgres" . }}
# The database URL (it holds the password) as a file: DATABASE_URL_FILE.
- name: database-url
  secret:
    secretName: {{ include "engram.databaseSecretName" . }}
    defaultMode: 0400
    items:
      - key: {{ include "engram.databaseSecretKey" . }}
        path: {{ include "engram.databaseUrlFile" . | base }}
{{- end }}
{{- if .Values.persistence.backups.enabled }}
- name: backups
  persistentVolumeClaim:
    claimName: {{ include "engram.backupsClaimName" . }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 1Gi
{{- if .Values.encryption.enabled }}
- name: encryption-key
  secret:
    secretName: {{ include "engram.encryptionSecretName" . }}
    defaultMode: 0400
{{- end }}
{{- end }}

{{/* The scheduling fields of a pod: call with (dict "ctx" $ "component" "api" "values" .Values.api). */}}
{{- define "engram.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if include "engram.postgres" .ctx }}
topologySpreadConstraints:
  {{- include "engram.topologySpread" (dict "ctx" .ctx "component" .component "constraints" .values.topologySpreadConstraints) | nindent 2 }}
{{- end }}
{{- end }}

{{/* The worker container: beside the api on SQLite, alone in the worker pods on PostgreSQL. */}}
{{- define "engram.workerContainer" -}}
- name: worker
  image: {{ include "engram.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["worker"]
  ports:
    - name: worker-http
      containerPort: {{ .Values.worker.port }}
      protocol: TCP
  env:
    {{- include "engram.env" . | nindent 4 }}
  envFrom:
    {{- include "engram.envFrom" . | nindent 4 }}
  startupProbe:
    httpGet:
      path: /health/live
      port: worker-http
    {{- toYaml .Values.worker.startupProbe | nindent 4 }}
  livenessProbe:
    httpGet:
      path: /health/live
      port: worker-http
    {{- toYaml .Values.worker.livenessProbe | nindent 4 }}
  resources:
    {{- toYaml .Values.worker.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    {{- include "engram.volumeMounts" . | nindent 4 }}
{{- end }}

{{/*
The label both Services carry whose value Prometheus takes as the job (ServiceMonitor jobLabel), so the api
and the separate worker pods are one job, <fullname>, as the alert rules expect.
*/}}
{{- define "engram.metricsJobLabel" -}}
engram.io/metrics-job: {{ include "engram.fullname" . }}
{{- end }}
