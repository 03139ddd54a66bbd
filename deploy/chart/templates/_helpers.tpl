{{/* Names: the release's own, so that two releases never share a cluster-wide object. */}}
{{- define "berth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "berth.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "berth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "berth.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "berth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "berth.image" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository (.tag | default .appVersion) -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding Berth's secrets: the operator's, or the one this chart makes. */}}
{{- define "berth.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "berth.fullname" .) -}}
{{- end -}}

{{- define "berth.redisName" -}}
{{- printf "%s-redis" (include "berth.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The host of config.public_url, the default of the Ingress host and the HTTPRoute hostnames. */}}
{{- define "berth.publicHost" -}}
{{- (split ":" (urlParse .Values.config.public_url).host)._0 -}}
{{- end -}}

{{- define "berth.sessionsShared" -}}
{{- if ne .Values.redis.mode "none" }}true{{ end -}}
{{- end -}}

{{/*
The secrets the chart generates, once per render: values first, else what the Secret already stores
(kept across upgrades), else random. Memoized in .Values so the Secret and the Deployment's checksum
(whose hash is then salted by the 64-character session key) see the same ones.
*/}}
{{- define "berth.generated" -}}
{{- if not (hasKey .Values "_generated") -}}
{{- $stored := (lookup "v1" "Secret" .Release.Namespace (include "berth.fullname" .)).data | default dict -}}
{{- $sessionKey := .Values.secrets.sessionKey -}}
{{- if and (not $sessionKey) (hasKey $stored "session-key") -}}
{{- $sessionKey = index $stored "session-key" | b64dec -}}
{{- end -}}
{{- $redisPassword := .Values.redis.password -}}
{{- if and (not $redisPassword) (hasKey $stored "redis-password") -}}
{{- $redisPassword = index $stored "redis-password" | b64dec -}}
{{- end -}}
{{- $_ := set .Values "_generated" (dict "sessionKey" ($sessionKey | default (randAlphaNum 64)) "redisPassword" ($redisPassword | default (randAlphaNum 40))) -}}
{{- end -}}
{{- end -}}
