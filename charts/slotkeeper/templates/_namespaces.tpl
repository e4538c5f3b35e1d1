{{/*
watchNamespaces joined with commas, duplicates dropped, as --watch-namespaces
takes them; "" when the operator watches every namespace. An empty entry
fails the render: its Role would land in the release namespace, not in a
namespace the operator watches.
*/}}
{{- define "slotkeeper.watchNamespaces" -}}
{{- with .Values.watchNamespaces }}
{{- range . }}
{{- if not . }}
{{- fail "watchNamespaces: an entry is empty" }}
{{- end }}
{{- end }}
{{- uniq . | join "," }}
{{- end }}
{{- end }}
