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
{{- define "engram.env" -}}
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
