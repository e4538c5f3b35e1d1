{{/*
Name of the metrics port, on the container and the Service alike: it says
the scheme, which is what a scraper (or a service mesh) needs to know.
*/}}
{{- define "slotkeeper.metricsPortName" -}}
{{- if .Values.metrics.secure }}https-metrics{{ else }}http-metrics{{ end }}
{{- end }}

{{/*
Where metrics.certSecret is mounted; the operator's --metrics-cert-dir.
*/}}
{{- define "slotkeeper.metricsCertDir" -}}
/etc/slotkeeper/metrics-certs
{{- end }}

{{/*
The metrics Service's DNS name inside the cluster, which a certificate of
metrics.certSecret must be issued for.
*/}}
{{- define "slotkeeper.metricsServerName" -}}
{{ include "slotkeeper.fullname" . }}-metrics.{{ .Release.Namespace }}.svc
{{- end }}
