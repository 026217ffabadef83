{{/* Name of every resource of the app: the release name, which mayday sets to the app name. */}}
{{- define "app.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the app's pods; stable for the app's whole life. */}}
{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ include "app.name" . }}
{{- end -}}

{{/* Kubernetes recommended labels plus mayday's team and env, on every resource. */}}
{{- define "app.labels" -}}
{{ include "app.selectorLabels" . }}
app.kubernetes.io/part-of: {{ .Values.team | quote }}
app.kubernetes.io/managed-by: mayday
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
mayday.dev/team: {{ .Values.team | quote }}
mayday.dev/env: {{ .Values.platform.env | quote }}
backstage.io/kubernetes-id: {{ include "app.name" . }}
{{- end -}}

{{/* Labels of the workload and its pods: the common ones plus the image version. */}}
{{- define "app.podLabels" -}}
{{ include "app.labels" . }}
{{- with .Values.image.tag }}
app.kubernetes.io/version: {{ regexReplaceAll "[^A-Za-z0-9._-]" . "_" | trunc 63 | quote }}
{{- end }}
{{- end -}}

{{- define "app.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "app.metadata" -}}
name: {{ include "app.name" . }}
namespace: {{ .Release.Namespace }}
labels:
  {{- include "app.labels" . | nindent 2 }}
{{- end -}}

{{/* Hostnames of the route: the app's own, or "<app>.<env domain>". */}}
{{- define "app.hostnames" -}}
{{- if .Values.route.hostnames -}}
{{ toYaml .Values.route.hostnames }}
{{- else -}}
- {{ printf "%s.%s" (include "app.name" .) .Values.platform.domain | quote }}
{{- end -}}
{{- end -}}

{{/* The workload kind the strategy emits: Deployment for rolling, an Argo Rollouts Rollout otherwise. */}}
{{- define "app.workloadKind" -}}
{{- if eq .Values.strategy.type "rolling" -}}Deployment{{- else -}}Rollout{{- end -}}
{{- end -}}

{{- define "app.workloadApiVersion" -}}
{{- if eq .Values.strategy.type "rolling" -}}apps/v1{{- else -}}argoproj.io/v1alpha1{{- end -}}
{{- end -}}

{{/* The step preset of a Rollout: the app's own, else its env's. */}}
{{- define "app.rolloutPreset" -}}
{{- .Values.strategy.preset | default .Values.platform.rolloutPreset | default "fast" -}}
{{- end -}}

{{/* Name of the Service port Prometheus scrapes: "http", or "metrics" when metrics have their own port. */}}
{{- define "app.metricsPortName" -}}
{{- if and .Values.metrics.port (ne (int .Values.metrics.port) (int .Values.port)) -}}metrics{{- else -}}http{{- end -}}
{{- end -}}

{{- define "app.metricsPort" -}}
{{- if eq (include "app.metricsPortName" .) "metrics" -}}{{ .Values.metrics.port }}{{- else -}}{{ .Values.port }}{{- end -}}
{{- end -}}

{{/* Annotations Argo CD shows as links on the app's resources. */}}
{{- define "app.linkAnnotations" -}}
{{- if ne .Values.route.type "none" }}
{{- range $i, $host := (include "app.hostnames" . | fromYamlArray) }}
{{ printf "link.argocd.argoproj.io/%s" (ternary "external-link" (printf "external-link-%d" $i) (eq $i 0)) }}: {{ printf "https://%s%s" $host (trimSuffix "/" $.Values.route.path) | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
What the workload declares to the platform's admission policies, which see one object at a time: the
HorizontalPodAutoscaler that sets its replicas (spec.replicas is left out, and the API server defaults it to 1)
and the PodDisruptionBudget that protects its pods.
*/}}
{{- define "app.workloadAnnotations" -}}
{{- if .Values.autoscaling.enabled }}
mayday.dev/autoscaler: {{ include "app.name" . }}
{{- end }}
{{- if .Values.pdb.enabled }}
mayday.dev/pdb: {{ include "app.name" . }}
{{- end }}
{{- end -}}

{{/* Name of the Secret an app secret entry produces. */}}
{{- define "app.secretName" -}}
{{- printf "%s-%s" (include "app.name" .root) .secret.name -}}
{{- end -}}

{{/* How a secret entry is mounted: env (default), file or none. */}}
{{- define "app.secretMountAs" -}}
{{- (.mount | default dict).as | default "env" -}}
{{- end -}}

{{- define "app.secretMountPath" -}}
{{- (.mount | default dict).path | default (printf "/var/run/secrets/mayday/%s" .name) -}}
{{- end -}}

{{/* Secrets are created before the workload that mounts them (Argo CD sync waves). */}}
{{- define "app.secretMetadata" -}}
name: {{ include "app.secretName" . }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "app.labels" .root | nindent 2 }}
annotations:
  argocd.argoproj.io/sync-wave: "-1"
{{- end -}}

{{- define "app.serviceMonitorEnabled" -}}
{{- if and .Values.metrics.enabled .Values.metrics.serviceMonitor.enabled -}}true{{- end -}}
{{- end -}}
