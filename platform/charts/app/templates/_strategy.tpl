{{/*
Step presets of canary rollouts, by name. fast: stg-style, one short look at half the traffic.
progressive: prd-style, 10 → 25 → 50 → 100 with pauses long enough for alerts to fire.
manual: stops at 10% until someone runs `kubectl argo rollouts promote`.
*/}}
{{- define "app.canarySteps" -}}
{{- $preset := include "app.rolloutPreset" . -}}
{{- if .Values.strategy.canary.steps -}}
{{ toYaml .Values.strategy.canary.steps }}
{{- else if eq $preset "fast" -}}
- setWeight: 50
- pause: { duration: 30s }
- setWeight: 100
{{- else if eq $preset "progressive" -}}
- setWeight: 10
- pause: { duration: 5m }
- setWeight: 25
- pause: { duration: 5m }
- setWeight: 50
- pause: { duration: 10m }
- setWeight: 100
{{- else if eq $preset "manual" -}}
- setWeight: 10
- pause: {}
- setWeight: 50
- pause: {}
- setWeight: 100
{{- else -}}
{{- fail (printf "strategy.preset %q is unknown: use fast, progressive or manual" $preset) -}}
{{- end -}}
{{- end -}}

{{/* Blue-green promotion per preset: fast promotes once the preview is ready, progressive after 10 minutes, manual never by itself. */}}
{{- define "app.blueGreenPromotion" -}}
{{- $preset := include "app.rolloutPreset" . -}}
{{- if eq $preset "fast" -}}
autoPromotionEnabled: true
{{- else if eq $preset "progressive" -}}
autoPromotionEnabled: true
autoPromotionSeconds: 600
{{- else if eq $preset "manual" -}}
autoPromotionEnabled: false
{{- else -}}
{{- fail (printf "strategy.preset %q is unknown: use fast, progressive or manual" $preset) -}}
{{- end -}}
{{- end -}}

{{- define "app.analysisTemplateName" -}}
{{- printf "%s-success-rate" (include "app.name" .) -}}
{{- end -}}

{{/* The analysis a Rollout runs: the AnalysisTemplate measures the new revision's pods (by pod-template hash). */}}
{{- define "app.rolloutAnalysis" -}}
templates:
  - templateName: {{ include "app.analysisTemplateName" . }}
args:
  - name: namespace
    value: {{ .Release.Namespace }}
  - name: pod-template-hash
    valueFrom:
      podTemplateHashValue: Latest
{{- end -}}

{{/* Canary traffic goes through the app's HTTPRoute (Argo Rollouts' Gateway API plugin) when it has one. */}}
{{- define "app.canaryTrafficRouting" -}}
{{- if eq .Values.route.type "httproute" -}}
plugins:
  argoproj-labs/gatewayAPI:
    httpRoute: {{ include "app.name" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}
{{- end -}}
