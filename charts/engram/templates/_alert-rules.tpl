{{/*
The alert rules, in one place: the PrometheusRule renders them with the release's values, and
services/prometheus/engram-alerts.yml (the Compose observability profile) is this output with the default
thresholds (`npm run alerts:render` writes it; a test keeps the two equal). Each alert has a runbook
section of the same name in docs/operations.md; `promtool test rules` cases are in
test/deployment/alert-rules.e2e-spec.ts.
*/}}
{{- define "engram.alertSelector" -}}
{{- default (printf "job=%q,namespace=%q" (include "engram.fullname" .) .Release.Namespace) .Values.metrics.prometheusRule.selector }}
{{- end }}

{{- define "engram.vllmAlertSelector" -}}
{{- default (printf "job=\"%s-vllm\",namespace=%q" (include "engram.fullname" .) .Release.Namespace) .Values.metrics.prometheusRule.vllmSelector }}
{{- end }}

{{- define "engram.alertRules" -}}
{{- $s := include "engram.alertSelector" . }}
{{- $v := include "engram.vllmAlertSelector" . }}
{{- $t := .Values.metrics.prometheusRule.thresholds }}
{{- $runbook := .Values.metrics.prometheusRule.runbookUrl }}
{{- $api := printf "%s,component=\"api\"" $s }}
{{- $requests := printf "http_request_duration_seconds_count{%s}" $s -}}
- name: engram-availability
  rules:
    - alert: EngramApiDown
      expr: up{ {{- $api -}} } == 0 or absent(up{ {{- $api -}} })
      for: 2m
      labels:
        severity: critical
      annotations:
        summary: The Engram api is down
        description: Prometheus cannot scrape the api ({{ "{{ $labels.instance }}" }}) for 2 minutes; REST, MCP and live events are unavailable.
        runbook_url: {{ $runbook }}#engramapidown
    - alert: EngramWorkerDown
      expr: up{ {{- $s -}} ,component="worker"} == 0
      for: 5m
      labels:
        severity: warning
      annotations:
        summary: The Engram worker is down
        description: The job worker ({{ "{{ $labels.instance }}" }}) has not answered for 5 minutes; backups, restores, reindexing and imports wait in the queue.
        runbook_url: {{ $runbook }}#engramworkerdown
    - alert: EngramNotReady
      expr: min by (check) (engram_ready{ {{- $s -}} }) == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: Engram is not ready ({{ "{{ $labels.check }}" }})
        description: The readiness check {{ "{{ $labels.check }}" }} has failed for 5 minutes; the api refuses work it cannot do.
        runbook_url: {{ $runbook }}#engramnotready
- name: engram-traffic
  rules:
    - alert: EngramHighErrorRatio
      expr: |-
        sum(rate(http_request_duration_seconds_count{ {{- $s -}} ,status=~"5.."}[10m]))
          / sum(rate({{ $requests }}[10m])) > {{ $t.errorRatio }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Engram answers more than {{ mulf $t.errorRatio 100 }} % of requests with a 5xx
        description: '{{ "{{ $value | humanizePercentage }}" }} of requests failed on the server over 10 minutes.'
        runbook_url: {{ $runbook }}#engramhigherrorratio
    - alert: EngramHighLatency
      expr: |-
        histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{ {{- $s -}} ,route!~"{{ $t.latencyExcludedRoutes }}"}[10m])))
          > {{ $t.latencyP99Seconds }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Engram's p99 request latency is above {{ $t.latencyP99Seconds }} s
        description: The slowest 1 % of requests took {{ "{{ $value | humanizeDuration }}" }} or more over 10 minutes (event streams, MCP, agent and import routes excluded).
        runbook_url: {{ $runbook }}#engramhighlatency
    - alert: EngramSseClientsDropped
      expr: sum(increase(engram_sse_clients_dropped_total{ {{- $s -}} }[15m])) > {{ $t.sseDropsPer15m }}
      labels:
        severity: warning
      annotations:
        summary: Engram drops event-stream clients that read too slowly
        description: '{{ "{{ $value | humanize }}" }} event streams were dropped in 15 minutes because the client left too much unread.'
        runbook_url: {{ $runbook }}#engramsseclientsdropped
    - alert: EngramAuthFailures
      expr: sum(rate(http_request_duration_seconds_count{ {{- $s -}} ,status=~"401|429"}[5m])) > {{ $t.authFailuresPerSecond }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Many requests to Engram fail authentication
        description: '{{ "{{ $value | humanize }}" }} requests per second were refused (401) or rate-limited after failed credentials (429) for 10 minutes.'
        runbook_url: {{ $runbook }}#engramauthfailures
- name: engram-jobs
  rules:
    - alert: EngramQueueBacklog
      expr: |-
        max by (queue) (engram_queue_jobs{ {{- $s -}} ,state="waiting"}) > {{ $t.queueWaiting }}
          and max by (queue) (delta(engram_queue_jobs{ {{- $s -}} ,state="waiting"}[15m])) > 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: Engram's job queue {{ "{{ $labels.queue }}" }} keeps growing
        description: '{{ "{{ $value }}" }} jobs wait and the backlog has grown for 15 minutes.'
        runbook_url: {{ $runbook }}#engramqueuebacklog
    - alert: EngramJobsFailing
      expr: sum by (name) (increase(engram_jobs_total{ {{- $s -}} ,outcome="failed"}[30m])) > 0
      labels:
        severity: warning
      annotations:
        summary: Engram {{ "{{ $labels.name }}" }} jobs fail
        description: '{{ "{{ $value | humanize }}" }} {{ "{{ $labels.name }}" }} jobs failed in the last 30 minutes.'
        runbook_url: {{ $runbook }}#engramjobsfailing
    - alert: EngramJobsInterrupted
      expr: sum(increase(engram_jobs_total{ {{- $s -}} ,outcome="interrupted"}[1h])) > {{ $t.jobsInterruptedPerHour }}
      labels:
        severity: warning
      annotations:
        summary: Engram's apis keep stopping under running jobs
        description: '{{ "{{ $value | humanize }}" }} jobs were ended as interrupted in the last hour because the api running or holding them stopped (a restart, a kill, a crash).'
        runbook_url: {{ $runbook }}#engramjobsinterrupted
    {{- if gt (int $t.backupMaxAgeHours) 0 }}
    - alert: EngramBackupTooOld
      expr: time() - max(engram_last_backup_timestamp_seconds{ {{- $s -}} }) > {{ mul $t.backupMaxAgeHours 3600 }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Engram's newest backup is older than {{ $t.backupMaxAgeHours }} hours
        description: The newest verified backup is {{ "{{ $value | humanizeDuration }}" }} old.
        runbook_url: {{ $runbook }}#engrambackuptooold
    - alert: EngramNoBackup
      expr: absent(engram_last_backup_timestamp_seconds{ {{- $s -}} })
      for: {{ $t.backupMaxAgeHours }}h
      labels:
        severity: warning
      annotations:
        summary: Engram has no backup
        description: No verified backup has existed for {{ $t.backupMaxAgeHours }} hours.
        runbook_url: {{ $runbook }}#engramnobackup
    {{- end }}
- name: engram-storage
  rules:
    - alert: EngramDiskNearlyFull
      expr: max(engram_disk_free_bytes{ {{- $s -}} }) / max(engram_disk_size_bytes{ {{- $s -}} }) < {{ $t.diskFreeRatio }}
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: Engram's data volume is nearly full
        description: Only {{ "{{ $value | humanizePercentage }}" }} of the data volume is free.
        runbook_url: {{ $runbook }}#engramdisknearlyfull
    - alert: EngramDatabaseBusy
      expr: sum(increase(engram_database_busy_total{ {{- $s -}} }[10m])) > {{ $t.databaseBusyPer10m }}
      labels:
        severity: warning
      annotations:
        summary: Engram answers database_busy
        description: '{{ "{{ $value | humanize }}" }} requests and MCP calls were answered 503 database_busy in 10 minutes.'
        runbook_url: {{ $runbook }}#engramdatabasebusy
- name: engram-dependencies
  rules:
    - alert: EngramEmbeddingErrors
      expr: |-
        sum by (provider) (rate(engram_embedding_errors_total{ {{- $s -}} }[10m]))
          / sum by (provider) (rate(engram_embedding_duration_seconds_count{ {{- $s -}} }[10m])) > {{ $t.embeddingErrorRatio }}
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: Engram's embedding calls fail ({{ "{{ $labels.provider }}" }})
        description: '{{ "{{ $value | humanizePercentage }}" }} of embedding calls failed over 10 minutes; stores and searches fail with them.'
        runbook_url: {{ $runbook }}#engramembeddingerrors
    - alert: EngramModelErrors
      expr: |-
        sum(rate(engram_llm_request_duration_seconds_count{ {{- $s -}} ,outcome="error"}[10m]))
          / sum(rate(engram_llm_request_duration_seconds_count{ {{- $s -}} }[10m])) > {{ $t.modelErrorRatio }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: The memory agent's model endpoint fails
        description: '{{ "{{ $value | humanizePercentage }}" }} of chat-completions requests failed over 10 minutes.'
        runbook_url: {{ $runbook }}#engrammodelerrors
- name: engram-agent
  rules:
    - alert: EngramAgentRunsFailing
      expr: |-
        sum(rate(engram_agent_runs_total{ {{- $s -}} ,outcome=~"model_error|error"}[30m]))
          / sum(rate(engram_agent_runs_total{ {{- $s -}} }[30m])) > {{ $t.agentFailureRatio }}
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: Memory agent questions fail
        description: '{{ "{{ $value | humanizePercentage }}" }} of agent questions ended in an error over 30 minutes.'
        runbook_url: {{ $runbook }}#engramagentrunsfailing
    - alert: EngramAgentBudgetExhausted
      expr: |-
        sum(rate(engram_agent_runs_total{ {{- $s -}} ,outcome=~"budget_exhausted|deadline"}[30m]))
          / sum(rate(engram_agent_runs_total{ {{- $s -}} }[30m])) > {{ $t.agentBudgetRatio }}
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: Memory agent questions run out of turns, tokens or time
        description: '{{ "{{ $value | humanizePercentage }}" }} of agent questions hit their budget or deadline over 30 minutes.'
        runbook_url: {{ $runbook }}#engramagentbudgetexhausted
    - alert: EngramSandboxViolations
      expr: sum by (kind) (increase(engram_sandbox_violations_total{ {{- $s -}} }[15m])) > {{ $t.sandboxViolationsPer15m }}
      labels:
        severity: warning
      annotations:
        summary: Model-written code hits the sandbox's limits ({{ "{{ $labels.kind }}" }})
        description: '{{ "{{ $value | humanize }}" }} sandboxed runs were stopped or refused ({{ "{{ $labels.kind }}" }}) in 15 minutes.'
        runbook_url: {{ $runbook }}#engramsandboxviolations
- name: engram-vllm
  rules:
    - alert: VllmDown
      expr: up{ {{- $v -}} } == 0
      for: 5m
      labels:
        severity: warning
      annotations:
        summary: vLLM (the memory agent's model server) is down
        description: Prometheus cannot scrape vLLM ({{ "{{ $labels.instance }}" }}) for 5 minutes; the memory agent cannot answer.
        runbook_url: {{ $runbook }}#vllmdown
    - alert: VllmQueueDepthHigh
      expr: max by (instance) (vllm:num_requests_waiting{ {{- $v -}} }) > {{ $t.vllmRequestsWaiting }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Requests queue up in vLLM
        description: '{{ "{{ $value }}" }} requests have waited for a slot on {{ "{{ $labels.instance }}" }} for 10 minutes.'
        runbook_url: {{ $runbook }}#vllmqueuedepthhigh
    - alert: VllmKvCacheFull
      expr: max by (instance) (vllm:kv_cache_usage_perc{ {{- $v -}} } or vllm:gpu_cache_usage_perc{ {{- $v -}} }) > {{ $t.vllmKvCacheUsage }}
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: vLLM's KV cache is nearly full
        description: '{{ "{{ $labels.instance }}" }} uses {{ "{{ $value | humanizePercentage }}" }} of its KV cache; requests get preempted or wait.'
        runbook_url: {{ $runbook }}#vllmkvcachefull
{{- end }}
