{{/*
Names, labels and the pieces every pod shares. Object names are <fullname>-<component>; fullname is
at most 40 characters so that the longest suffix still fits the 63 characters of a label value.
*/}}

{{- define "kentaur.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "kentaur.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kentaur.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "kentaur.labels" -}}
helm.sh/chart: {{ include "kentaur.chart" . }}
app.kubernetes.io/name: {{ include "kentaur.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kentaur
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "controller"). */}}
{{- define "kentaur.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kentaur.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component's objects: (dict "ctx" $ "component" "gateway"). */}}
{{- define "kentaur.componentLabels" -}}
{{ include "kentaur.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kentaur.controller.fullname" -}}
{{- printf "%s-controller" (include "kentaur.fullname" .) -}}
{{- end -}}

{{- define "kentaur.gateway.fullname" -}}
{{- printf "%s-gateway" (include "kentaur.fullname" .) -}}
{{- end -}}

{{- define "kentaur.controller.serviceAccountName" -}}
{{- default (include "kentaur.controller.fullname" .) .Values.controller.serviceAccount.name -}}
{{- end -}}

{{- define "kentaur.gateway.serviceAccountName" -}}
{{- default (include "kentaur.gateway.fullname" .) .Values.gateway.serviceAccount.name -}}
{{- end -}}

{{/* The Lease the controller replicas elect a leader with (apps/controller/src/leader). */}}
{{- define "kentaur.controller.leaseName" -}}
kentaur-controller
{{- end -}}

{{- define "kentaur.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
Pod Security "restricted" for every pod the chart runs: the pod's part and the container's part.
*/}}
{{- define "kentaur.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kentaur.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kentaur.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Affinity of a component: the user's, else pod anti-affinity on the node by the component's selector
labels. (dict "ctx" $ "component" "controller" "values" .Values.controller)
*/}}
{{- define "kentaur.affinity" -}}
{{- if .values.affinity -}}
affinity:
{{ toYaml .values.affinity | indent 2 }}
{{- else if eq .values.podAntiAffinity "hard" -}}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
{{ include "kentaur.selectorLabels" (dict "ctx" .ctx "component" .component) | indent 12 }}
{{- else if eq .values.podAntiAffinity "soft" -}}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
{{ include "kentaur.selectorLabels" (dict "ctx" .ctx "component" .component) | indent 14 }}
{{- end }}
{{- end -}}

{{/* Scheduling fields every pod of a component shares. Same argument as kentaur.affinity. */}}
{{- define "kentaur.scheduling" -}}
{{- include "kentaur.affinity" . }}
{{- with .values.nodeSelector }}
nodeSelector:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{/* The ledger's environment of a container: the PostgreSQL URL from its Secret, or PGlite's directory. */}}
{{- define "kentaur.ledgerEnv" -}}
{{- if eq .Values.ledger.type "postgres" -}}
- name: KENTAUR_LEDGER_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.ledger.postgres.existingSecret }}
      key: {{ .Values.ledger.postgres.secretKey }}
{{- end }}
{{- end -}}

{{- define "kentaur.pgliteClaimName" -}}
{{- default (printf "%s-ledger" (include "kentaur.fullname" .)) .Values.ledger.pglite.persistence.existingClaim -}}
{{- end -}}

{{/* Values the schema cannot relate to one another: each failure names the value to change. */}}
{{- define "kentaur.validate" -}}
{{- if and (eq .Values.ledger.type "pglite") (gt (int .Values.controller.replicas) 1) -}}
{{- fail (printf "controller.replicas is %d, but ledger.type=pglite keeps the usage ledger in one pod's volume: set controller.replicas=1, or use ledger.type=postgres for more replicas" (int .Values.controller.replicas)) -}}
{{- end -}}
{{- if and (eq .Values.ledger.type "postgres") (not .Values.ledger.postgres.existingSecret) -}}
{{- fail "ledger.postgres.existingSecret is empty: ledger.type=postgres needs the name of a Secret holding the PostgreSQL URL" -}}
{{- end -}}
{{- if and .Values.gateway.autoscaling.enabled (gt (int .Values.gateway.autoscaling.minReplicas) (int .Values.gateway.autoscaling.maxReplicas)) -}}
{{- fail (printf "gateway.autoscaling.minReplicas (%d) is above gateway.autoscaling.maxReplicas (%d)" (int .Values.gateway.autoscaling.minReplicas) (int .Values.gateway.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if and .Values.gateway.autoscaling.enabled (not .Values.gateway.autoscaling.targetCPUUtilizationPercentage) (not .Values.gateway.autoscaling.targetMemoryUtilizationPercentage) -}}
{{- fail "gateway.autoscaling is enabled without a target: set gateway.autoscaling.targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" -}}
{{- end -}}
{{- if or (and .Values.gateway.oidc.issuer (not .Values.gateway.oidc.jwksUrl)) (and .Values.gateway.oidc.jwksUrl (not .Values.gateway.oidc.issuer)) -}}
{{- fail "gateway.oidc needs both issuer and jwksUrl (or neither): set gateway.oidc.issuer and gateway.oidc.jwksUrl" -}}
{{- end -}}
{{- if and .Values.gateway.httpRoute.enabled (not .Values.gateway.httpRoute.parentRefs) -}}
{{- fail "gateway.httpRoute.enabled needs gateway.httpRoute.parentRefs: the Gateway the route attaches to" -}}
{{- end -}}
{{- if and .Values.gateway.ingress.enabled (not .Values.gateway.ingress.hosts) -}}
{{- fail "gateway.ingress.enabled needs at least one entry in gateway.ingress.hosts" -}}
{{- end -}}
{{- $f := .Values.controller.federation -}}
{{- if le (int $f.failoverGraceSeconds) (int $f.fenceLeaseSeconds) -}}
{{- fail (printf "controller.federation.failoverGraceSeconds (%d) must be longer than controller.federation.fenceLeaseSeconds (%d): requeued work could otherwise start while the lost site still runs it" (int $f.failoverGraceSeconds) (int $f.fenceLeaseSeconds)) -}}
{{- end -}}
{{- $vendors := list -}}
{{- range .Values.vendors.custom -}}
{{- if has .vendor $vendors -}}
{{- fail (printf "vendors.custom: vendor %q is listed twice; list each vendor once" .vendor) -}}
{{- end -}}
{{- $vendors = append $vendors .vendor -}}
{{- end -}}
{{- end -}}

{{/*
Egress both apps need: DNS, the API server, and the PostgreSQL ledger when there is one. An empty
peer list means any address on the rule's ports.
*/}}
{{- define "kentaur.commonEgress" -}}
{{- $np := .Values.networkPolicy -}}
{{- if $np.dns.enabled -}}
- ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
  to:
    {{- if $np.dns.to }}
    {{- toYaml $np.dns.to | nindent 4 }}
    {{- else }}
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    {{- end }}
{{ end -}}
- ports:
    {{- range $np.apiServer.ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
  {{- with $np.apiServer.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if eq .Values.ledger.type "postgres" }}
- ports:
    - { protocol: TCP, port: {{ $np.postgres.port }} }
  {{- with $np.postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}
