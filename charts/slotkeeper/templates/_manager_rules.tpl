{{/*
The operator's rules: those of config/rbac/role.yaml, which controller-gen
generates from the +kubebuilder:rbac markers. They are split in two here,
and copied nowhere else; test/helm checks that the two together are exactly
config/rbac/role.yaml's.

slotkeeper.managerRules are the rules on namespaced objects. One copy,
shared by the ClusterRole of a cluster-wide install and the Roles of a
namespace-scoped one (watchNamespaces), so they cannot drift.

slotkeeper.metricsAuthRules let secure metrics (metrics.secure) ask the API
server who a scraper is and whether it may read /metrics. TokenReviews and
SubjectAccessReviews are cluster-scoped, which a Role cannot grant, so
metrics-auth-clusterrole.yaml grants them with a ClusterRole of its own, in
both modes, and only when metrics.secure is on.
*/}}
{{- define "slotkeeper.managerRules" -}}
- apiGroups:
  - ""
  resources:
  - secrets
  verbs:
  - get
  - list
  - watch
- apiGroups:
  - discovery.k8s.io
  resources:
  - endpointslices
  verbs:
  - get
  - list
  - watch
- apiGroups:
  - events.k8s.io
  resources:
  - events
  verbs:
  - create
  - patch
- apiGroups:
  - pg.slotkeeper.dev
  resources:
  - postgresservers
  - replicationslots
  verbs:
  - get
  - list
  - patch
  - update
  - watch
- apiGroups:
  - pg.slotkeeper.dev
  resources:
  - postgresservers/finalizers
  - replicationslots/finalizers
  verbs:
  - update
- apiGroups:
  - pg.slotkeeper.dev
  resources:
  - postgresservers/status
  - replicationslots/status
  verbs:
  - get
  - patch
  - update
{{- end }}

{{- define "slotkeeper.metricsAuthRules" -}}
- apiGroups:
  - authentication.k8s.io
  resources:
  - tokenreviews
  verbs:
  - create
- apiGroups:
  - authorization.k8s.io
  resources:
  - subjectaccessreviews
  verbs:
  - create
{{- end }}
