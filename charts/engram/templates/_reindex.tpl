{{/*
Re-embedding on a model change (values: retrieval.reindexOnModelChange), done once per change, before any
api or worker process runs on the new model:
- SQLite: in an init container of the api pod, the only pod (the worker runs in it, after it).
- PostgreSQL: in one Job, <fullname>-reindex-<hash>; the api and worker pods wait for it in an init
  container (`engram reindex --wait`) until the database holds the configured model's vectors. Not a Helm
  hook: pre-install/pre-upgrade would run before the database Secret, the ConfigMap and the new embedding
  server exist, and post-install/post-upgrade after `helm upgrade --wait` (or ArgoCD's PostSync) waits for
  the api pods, which wait for the reindex. A plain Job is applied with the rest and named by a hash of its
  spec and the ConfigMap, so each change of them makes a new Job (a Job's pod template cannot change) and an
  upgrade that changes neither leaves the finished one as it is.
*/}}

{{- define "engram.reindexJobRuns" -}}
{{- if and .Values.retrieval.reindexOnModelChange (include "engram.postgres" .) }}true{{ end }}
{{- end }}

{{/* An Engram container running `engram <args>` with the api's settings. Call with (dict "ctx" $ "name" <name> "args" <list> "resources" <map>). */}}
{{- define "engram.reindexContainer" -}}
{{- $ := .ctx -}}
- name: {{ .name }}
  image: {{ include "engram.image" $ }}
  imagePullPolicy: {{ $.Values.image.pullPolicy }}
  args: {{ toJson .args }}
  env:
    {{- include "engram.env" $ | nindent 4 }}
  envFrom:
    {{- include "engram.envFrom" $ | nindent 4 }}
  resources:
    {{- toYaml .resources | nindent 4 }}
  securityContext:
    {{- toYaml $.Values.securityContext | nindent 4 }}
  volumeMounts:
    {{- include "engram.volumeMounts" $ | nindent 4 }}
{{- end }}

{{/*
The initContainers of an api or worker pod: on SQLite the api pod re-embeds (in this process: no worker
exists yet, and nothing else writes the file); on PostgreSQL every pod waits for the Job. Call with
(dict "ctx" $ "resources" <the pod's main container resources>).
*/}}
{{- define "engram.reindexInitContainers" -}}
{{- $ := .ctx }}
{{- if $.Values.retrieval.reindexOnModelChange }}
initContainers:
{{- if include "engram.reindexJobRuns" $ }}
  {{- include "engram.reindexContainer" (dict "ctx" $ "name" "wait-for-reindex" "args" (list "reindex" "--wait") "resources" .resources) | nindent 2 }}
{{- else }}
  {{- include "engram.reindexContainer" (dict "ctx" $ "name" "reindex-on-model-change" "args" (list "reindex" "--if-model-changed" "--in-process") "resources" .resources) | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/* The reindex Job's spec (PostgreSQL). */}}
{{- define "engram.reindexJobSpec" -}}
{{- $job := .Values.retrieval.reindexJob -}}
# Each retry resumes from the vectors already staged; the back-off (10 s doubling to 6 min) also covers an
# embedding service still starting.
backoffLimit: {{ $job.backoffLimit }}
template:
  metadata:
    labels:
      {{- include "engram.selectorLabels" (dict "ctx" $ "component" "reindex") | nindent 6 }}
    {{- with $job.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    restartPolicy: Never
    serviceAccountName: {{ include "engram.serviceAccountName" . }}
    automountServiceAccountToken: false
    enableServiceLinks: false
    {{- with .Values.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      {{- toYaml .Values.podSecurityContext | nindent 6 }}
    containers:
      {{- include "engram.reindexContainer" (dict "ctx" $ "name" "reindex" "args" (list "reindex" "--if-model-changed" "--in-process") "resources" .Values.api.resources) | nindent 6 }}
    volumes:
      {{- include "engram.volumes" . | nindent 6 }}
    {{- include "engram.scheduling" (dict "ctx" $ "component" "reindex" "values" .Values.api) | nindent 4 }}
{{- end }}

{{/* <fullname>-reindex-<hash of the Job's spec and the ConfigMap>, within the 63 characters of a label value. */}}
{{- define "engram.reindexJobName" -}}
{{- $hash := print (include "engram.reindexJobSpec" .) (include (print .Template.BasePath "/configmap.yaml") .) | sha256sum | trunc 10 }}
{{- printf "%s-reindex-%s" (include "engram.fullname" . | trunc 44 | trimSuffix "-") $hash }}
{{- end }}

{{/* The reindex Job's pods as a NetworkPolicy peer: the embedding model admits them beside engram.clientPeers. */}}
{{- define "engram.reindexPeer" -}}
- podSelector:
    matchLabels:
      {{- include "engram.selectorLabels" (dict "ctx" . "component" "reindex") | nindent 6 }}
{{- end }}
