// Package harness starts what slotkeeper needs to run end to end on one
// machine, with no cluster: kube-apiserver and etcd from envtest, a
// PostgreSQL primary with a streaming standby, the operator binary as a
// process, and kubectl against it all. The demo (test/demo) and the
// end-to-end suite (test/e2e) share it, so what the demo shows is what the
// suite checks.
//
// Nothing here prints: callers decide what the reader sees.
package harness
