{{/*
The operator's rules: those of config/rbac/role.yaml, which controller-gen
generates from the +kubebuilder:rbac markers (test/helm fails when the two
differ). One copy, shared by the ClusterRole of a cluster-wide install and
the Roles of a namespace-scoped one (watchNamespaces), so they cannot drift.
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
