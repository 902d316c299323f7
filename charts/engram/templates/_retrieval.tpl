{{/*
GPU retrieval models (values: retrieval): an embedding model and a reranker on vLLM, and Engram's wiring to
them. Kept apart from _helpers.tpl; engram.env includes engram.retrievalEnv.
*/}}

{{- define "engram.retrievalSecretName" -}}
{{- default (printf "%s-retrieval" (include "engram.fullname" .)) .Values.retrieval.auth.existingSecret }}
{{- end }}

{{- define "engram.retrievalEnabled" -}}
{{- if or .Values.retrieval.embedding.enabled .Values.retrieval.reranker.enabled }}true{{ end }}
{{- end }}

{{/* Engram's environment for the enabled retrieval models (api, worker and the reindex step). */}}
{{- define "engram.retrievalEnv" -}}
{{- $r := .Values.retrieval }}
{{- $base := include "engram.fullname" . }}
{{- if $r.embedding.enabled }}
- name: ENGRAM_EMBEDDING_PROVIDER
  value: openai
- name: MCP_EXTERNAL_EMBEDDING_URL
  value: {{ printf "http://%s-embedding:%v/v1" $base $r.port | quote }}
- name: MCP_EXTERNAL_EMBEDDING_MODEL
  value: {{ $r.embedding.servedModelName | quote }}
- name: ENGRAM_EMBEDDING_DIMENSION
  value: {{ $r.embedding.dimension | quote }}
- name: ENGRAM_EMBEDDING_QUERY_PREFIX
  value: {{ $r.embedding.queryPrefix | quote }}
- name: MCP_EXTERNAL_EMBEDDING_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "engram.retrievalSecretName" . }}
      key: {{ $r.auth.existingSecretKey }}
{{- end }}
{{- if $r.reranker.enabled }}
- name: ENGRAM_RERANK_URL
  value: {{ printf "http://%s-reranker:%v/v1" $base $r.port | quote }}
- name: ENGRAM_RERANK_MODEL
  value: {{ $r.reranker.servedModelName | quote }}
- name: ENGRAM_RERANK_CANDIDATES
  value: {{ $r.reranker.candidates | quote }}
- name: ENGRAM_RERANK_TIMEOUT_MS
  value: {{ $r.reranker.timeoutMs | quote }}
- name: ENGRAM_RERANK_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "engram.retrievalSecretName" . }}
      key: {{ $r.auth.existingSecretKey }}
{{- end }}
{{- end }}

{{/* One retrieval model's vLLM Deployment. Call with (dict "ctx" $ "role" "embedding"|"reranker"). */}}
{{- define "engram.retrievalDeployment" -}}
{{- $ := .ctx }}
{{- $r := $.Values.retrieval }}
{{- $model := index $r .role }}
{{- $component := .role }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "engram.fullname" $ }}-{{ $component }}
  labels:
    {{- include "engram.labels" (dict "ctx" $ "component" $component) | nindent 4 }}
spec:
  replicas: 1
  # A rolling update would need a second GPU while the old pod still holds the first.
  strategy:
    type: Recreate
  selector:
    matchLabels:
      {{- include "engram.selectorLabels" (dict "ctx" $ "component" $component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "engram.selectorLabels" (dict "ctx" $ "component" $component) | nindent 8 }}
      {{- if and (eq $component "reranker") $model.scoreTemplate }}
      annotations:
        checksum/score-template: {{ $.Files.Get (printf "files/%s" $model.scoreTemplate) | sha256sum }}
      {{- end }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $r.runtimeClassName }}
      runtimeClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $r.podSecurityContext | nindent 8 }}
      containers:
        - name: vllm
          image: "{{ $r.image.repository }}:{{ $r.image.tag }}"
          imagePullPolicy: {{ $r.image.pullPolicy }}
          command: ["vllm", "serve"]
          args:
            - {{ $model.model | quote }}
            - {{ printf "--served-model-name=%s" $model.servedModelName | quote }}
            - "--runner=pooling"
            - "--host=0.0.0.0"
            - {{ printf "--port=%v" $r.port | quote }}
            - {{ printf "--max-model-len=%v" $model.maxModelLen | quote }}
            - {{ printf "--gpu-memory-utilization=%v" $model.gpuMemoryUtilization | quote }}
            - "--api-key=$(VLLM_API_KEY)"
            {{- with $model.hfOverrides }}
            - {{ printf "--hf-overrides=%s" (toJson .) | quote }}
            {{- end }}
            {{- if and (eq $component "reranker") $model.scoreTemplate }}
            - "--chat-template=/templates/score.jinja"
            {{- end }}
            {{- range $model.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            - name: VLLM_API_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ include "engram.retrievalSecretName" $ }}
                  key: {{ $r.auth.existingSecretKey }}
            {{- if $r.hfTokenSecret }}
            - name: HF_TOKEN
              valueFrom:
                secretKeyRef:
                  name: {{ $r.hfTokenSecret }}
                  key: {{ $r.hfTokenSecretKey }}
            {{- end }}
            # The upstream image has no passwd entry for this uid: torch's getpass.getuser() (its compile
            # cache) would raise KeyError and vLLM exit at start-up; it reads USER first.
            - name: USER
              value: vllm
            - name: HOME
              value: /tmp
            - name: HF_HOME
              value: /models/huggingface
            - name: VLLM_CACHE_ROOT
              value: /models/vllm
            - name: XDG_CACHE_HOME
              value: /models/cache
            - name: VLLM_NO_USAGE_STATS
              value: "1"
            - name: DO_NOT_TRACK
              value: "1"
          ports:
            - name: http
              containerPort: {{ $r.port }}
              protocol: TCP
          startupProbe:
            httpGet:
              path: /health
              port: http
            {{- toYaml $r.startupProbe | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /health
              port: http
            {{- toYaml $r.livenessProbe | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /health
              port: http
            {{- toYaml $r.readinessProbe | nindent 12 }}
          resources:
            requests:
              {{- toYaml $model.resources.requests | nindent 14 }}
              {{ $r.gpu.resourceName }}: {{ $r.gpu.count }}
            limits:
              {{- with $model.resources.limits }}
              {{- toYaml . | nindent 14 }}
              {{- end }}
              {{ $r.gpu.resourceName }}: {{ $r.gpu.count }}
          securityContext:
            {{- toYaml $r.securityContext | nindent 12 }}
          volumeMounts:
            - name: model-cache
              mountPath: /models
            - name: dshm
              mountPath: /dev/shm
            - name: tmp
              mountPath: /tmp
            {{- if and (eq $component "reranker") $model.scoreTemplate }}
            - name: score-template
              mountPath: /templates
              readOnly: true
            {{- end }}
      volumes:
        - name: model-cache
          {{- if $r.modelCache.enabled }}
          persistentVolumeClaim:
            claimName: {{ include "engram.fullname" $ }}-{{ $component }}-cache
          {{- else }}
          emptyDir: {}
          {{- end }}
        - name: dshm
          emptyDir:
            medium: Memory
            sizeLimit: {{ $r.shmSize }}
        - name: tmp
          emptyDir: {}
        {{- if and (eq $component "reranker") $model.scoreTemplate }}
        - name: score-template
          configMap:
            name: {{ include "engram.fullname" $ }}-reranker-template
            items:
              - key: score.jinja
                path: score.jinja
        {{- end }}
      {{- with $r.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $r.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $r.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
