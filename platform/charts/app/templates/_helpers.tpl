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
