{{/*
The chart name, or nameOverride.
*/}}
{{- define "checkout.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The resource name prefix: fullnameOverride, else release-chart (just the
release name when it already contains the chart name). Kept to 52 characters
so that suffixes such as "-migrate" and "-test-readyz" stay within 63.
*/}}
{{- define "checkout.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "checkout.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries (the app.kubernetes.io recommended set). The
caller adds app.kubernetes.io/component.
*/}}
{{- define "checkout.labels" -}}
helm.sh/chart: {{ include "checkout.chart" . }}
app.kubernetes.io/name: {{ include "checkout.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "checkout.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: checkout
{{- end }}

{{/*
Selector labels of the server pods (immutable in the Deployment's selector).
*/}}
{{- define "checkout.selectorLabels" -}}
app.kubernetes.io/name: {{ include "checkout.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "checkout.serverLabels" -}}
{{ include "checkout.labels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "checkout.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/*
The image reference: repository@digest when a digest is set, else
repository:tag with the tag defaulting to appVersion; prefixed with
global.imageRegistry when that is set.
*/}}
{{- define "checkout.image" -}}
{{- $repository := include "checkout.imageRepository" (dict "root" . "repository" .Values.image.repository) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (include "checkout.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
A repository with global.imageRegistry in front when it is set (a mirror or
a private registry; parent charts share global values with this one).
Called with (dict "root" $ "repository" "…").
*/}}
{{- define "checkout.imageRepository" -}}
{{- $registry := dig "imageRegistry" "" (.root.Values.global | default dict) | trimSuffix "/" }}
{{- if $registry }}
{{- printf "%s/%s" $registry .repository }}
{{- else }}
{{- .repository }}
{{- end }}
{{- end }}

{{- define "checkout.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "checkout.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Secret the server reads: the existing one, or the chart's own.
*/}}
{{- define "checkout.secretName" -}}
{{- default (include "checkout.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/*
The ServiceAccount of the migration Job. It runs before any non-hook object
of the release exists, so it is either an existing account or the hook
account of migration-serviceaccount.yaml.
*/}}
{{- define "checkout.migrationServiceAccountName" -}}
{{- if .Values.migration.serviceAccountName }}
{{- .Values.migration.serviceAccountName }}
{{- else if not .Values.serviceAccount.create }}
{{- default "default" .Values.serviceAccount.name }}
{{- else }}
{{- printf "%s-migrate" (include "checkout.fullname" .) }}
{{- end }}
{{- end }}

{{/*
Pod-level security context shared by every pod of the chart.
*/}}
{{- define "checkout.podSecurityContext" -}}
runAsNonRoot: true
{{- with .Values.securityContext.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with .Values.securityContext.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
{{- with .Values.securityContext.fsGroup }}
fsGroup: {{ . }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Container-level security context shared by every container of the chart.
*/}}
{{- define "checkout.containerSecurityContext" -}}
runAsNonRoot: true
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
The /tmp volume every container mounts (the root filesystem is read-only).
*/}}
{{- define "checkout.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "checkout.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
A Kubernetes memory quantity (512Mi, 1Gi, 1.5G, 536870912) in bytes, as a
float. Anything else fails the render.
*/}}
{{- define "checkout.memoryBytes" -}}
{{- $q := toString . }}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 }}
{{- $bytes := -1.0 }}
{{- if regexMatch "^[0-9]+(\\.[0-9]+)?$" $q }}
{{- $bytes = float64 $q }}
{{- else }}
{{- range $suffix, $mult := $units }}
{{- $n := trimSuffix $suffix $q }}
{{- if and (hasSuffix $suffix $q) (regexMatch "^[0-9]+(\\.[0-9]+)?$" $n) }}
{{- $bytes = mulf (float64 $n) $mult }}
{{- end }}
{{- end }}
{{- end }}
{{- if lt $bytes 0.0 }}
{{- fail (printf "resources.limits.memory %q is not a memory quantity such as 256Mi" $q) }}
{{- end }}
{{- $bytes }}
{{- end }}

{{/*
GOMEMLIMIT: goMemLimitRatio of limits.memory, in whole MiB.
*/}}
{{- define "checkout.goMemLimit" -}}
{{- $bytes := include "checkout.memoryBytes" .Values.resources.limits.memory | float64 }}
{{- $mib := divf (mulf $bytes .Values.goMemLimitRatio) 1048576 | floor | int64 }}
{{- if lt $mib 1 }}
{{- fail "resources.limits.memory is too small for a GOMEMLIMIT of at least 1MiB" }}
{{- end }}
{{- printf "%dMiB" $mib }}
{{- end }}

{{/*
Checks of value combinations the schema cannot express.
*/}}
{{- define "checkout.validate" -}}
{{- $s := .Values.secret }}
{{- if and $s.existingSecret (or $s.databaseURL $s.migrateDatabaseURL $s.stripeSecretKey $s.stripeWebhookSecret $s.encryptionKey $s.platformToken) }}
{{- fail "secret.existingSecret is set: leave the inline secret.* values empty (they would be ignored)" }}
{{- end }}
{{- $shutdown := add (int .Values.preStopSleepSeconds) (int .Values.drainDelaySeconds) (int .Values.shutdownGraceSeconds) }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $shutdown) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + drainDelaySeconds + shutdownGraceSeconds (%d)" (int .Values.terminationGracePeriodSeconds) (int $shutdown)) }}
{{- end }}
{{- $reserved := list "CHECKOUT_DATABASE_URL" "CHECKOUT_MIGRATE_DATABASE_URL" "STRIPE_SECRET_KEY" "STRIPE_WEBHOOK_SECRET" "CHECKOUT_ENCRYPTION_KEY" "CHECKOUT_PLATFORM_TOKEN" "GOMAXPROCS" "GOMEMLIMIT" }}
{{- range .Values.extraEnv }}
{{- if has .name $reserved }}
{{- fail (printf "extraEnv must not set %s: the chart sets it (secrets from the Secret, GOMAXPROCS and GOMEMLIMIT from resources.limits)" .name) }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas must not be below autoscaling.minReplicas" }}
{{- end }}
{{- if not (or $s.existingSecret $s.databaseURL) }}
{{- fail "the server needs CHECKOUT_DATABASE_URL: set secret.existingSecret to the Secret that holds it (production; see the README, \"Deploying with Helm\"), or secret.databaseURL for a development install" }}
{{- end }}
{{- end }}
