{{/* The pod template shared by the Deployment (rolling) and the Rollout (canary, blueGreen). */}}
{{- define "app.podTemplate" -}}
{{- if le (int .Values.termination.gracePeriodSeconds) (int .Values.termination.preStopSleepSeconds) }}
{{- fail (printf "termination.gracePeriodSeconds (%d) must be more than termination.preStopSleepSeconds (%d), or the app is killed before it can stop" (int .Values.termination.gracePeriodSeconds) (int .Values.termination.preStopSleepSeconds)) }}
{{- end }}
metadata:
  labels:
    {{- include "app.podLabels" . | nindent 4 }}
  annotations:
    kubectl.kubernetes.io/default-container: app
    {{- if eq .Values.logging.format "json" }}
    fluentbit.io/parser: json
    {{- end }}
    {{- if .Values.metrics.enabled }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ include "app.metricsPort" . | quote }}
    prometheus.io/path: {{ .Values.metrics.path | quote }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "app.name" . }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.termination.gracePeriodSeconds }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  {{- if .Values.topologySpread.enabled }}
  topologySpreadConstraints:
    {{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
    - maxSkew: {{ $.Values.topologySpread.maxSkew }}
      topologyKey: {{ . }}
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "app.selectorLabels" $ | nindent 10 }}
      {{- /* spread each revision on its own, so a rollout does not skew the spread */}}
      matchLabelKeys:
        - {{ ternary "pod-template-hash" "rollouts-pod-template-hash" (eq $.Values.strategy.type "rolling") }}
    {{- end }}
  {{- end }}
  containers:
    - name: app
      image: {{ include "app.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- with .Values.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.port }}
          protocol: TCP
        {{- if and .Values.metrics.enabled (eq (include "app.metricsPortName" .) "metrics") }}
        - name: metrics
          containerPort: {{ .Values.metrics.port }}
          protocol: TCP
        {{- end }}
      env:
        {{- include "app.containerEnv" . | trim | nindent 8 }}
      {{- with (include "app.secretEnvFrom" . | fromYamlArray) }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- range $kind, $probe := dict "startupProbe" .Values.probes.startup "livenessProbe" .Values.probes.liveness "readinessProbe" .Values.probes.readiness }}
      {{ $kind }}:
        httpGet:
          path: {{ $probe.path }}
          port: http
        initialDelaySeconds: {{ $probe.initialDelaySeconds }}
        periodSeconds: {{ $probe.periodSeconds }}
        timeoutSeconds: {{ $probe.timeoutSeconds }}
        failureThreshold: {{ $probe.failureThreshold }}
      {{- end }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ .Values.termination.preStopSleepSeconds }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        capabilities:
          drop: ["ALL"]
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- range .Values.secrets }}
        {{- if eq (include "app.secretMountAs" .) "file" }}
        - name: {{ printf "secret-%s" .name }}
          mountPath: {{ include "app.secretMountPath" . }}
          readOnly: true
        {{- end }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- range .Values.secrets }}
    {{- if eq (include "app.secretMountAs" .) "file" }}
    - name: {{ printf "secret-%s" .name }}
      secret:
        secretName: {{ include "app.secretName" (dict "root" $ "secret" .) }}
    {{- end }}
    {{- end }}
{{- end -}}

{{/*
Environment of the app container: OpenTelemetry resource identity (app, team, env) and log hints,
then the app's own variables; an app variable with the same name replaces the platform's.
*/}}
{{- define "app.containerEnv" -}}
{{- $own := dict -}}
{{- range .Values.env }}{{- $_ := set $own .name true -}}{{- end -}}
{{- $attributes := list
  (printf "service.namespace=%s" .Values.team)
  (printf "deployment.environment.name=%s" .Values.platform.env)
  (printf "k8s.namespace.name=%s" .Release.Namespace)
  "k8s.pod.name=$(K8S_POD_NAME)"
  "k8s.node.name=$(K8S_NODE_NAME)"
  (printf "mayday.app=%s" (include "app.name" .))
  (printf "mayday.team=%s" .Values.team)
  (printf "mayday.env=%s" .Values.platform.env) -}}
{{- with .Values.image.tag }}{{- $attributes = prepend $attributes (printf "service.version=%s" .) -}}{{- end -}}
{{- $platform := list
  (dict "name" "K8S_POD_NAME" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.name")))
  (dict "name" "K8S_NODE_NAME" "valueFrom" (dict "fieldRef" (dict "fieldPath" "spec.nodeName")))
  (dict "name" "OTEL_SERVICE_NAME" "value" (include "app.name" .))
  (dict "name" "OTEL_RESOURCE_ATTRIBUTES" "value" (join "," $attributes))
  (dict "name" "LOG_FORMAT" "value" .Values.logging.format)
  (dict "name" "LOG_LEVEL" "value" .Values.logging.level) -}}
{{- with .Values.platform.otlpEndpoint }}
{{- $platform = append $platform (dict "name" "OTEL_EXPORTER_OTLP_ENDPOINT" "value" .) -}}
{{- end -}}
{{- range $platform }}
{{- if not (hasKey $own .name) }}
- {{ toYaml . | nindent 2 | trim }}
{{- end }}
{{- end }}
{{- range .Values.env }}
- {{ toYaml . | nindent 2 | trim }}
{{- end }}
{{- end -}}

{{/* envFrom entries for the secrets the app mounts as environment variables. */}}
{{- define "app.secretEnvFrom" -}}
{{- range .Values.secrets }}
{{- if eq (include "app.secretMountAs" .) "env" }}
- secretRef:
    name: {{ include "app.secretName" (dict "root" $ "secret" .) }}
{{- end }}
{{- end }}
{{- end -}}
