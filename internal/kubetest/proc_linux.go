//go:build linux

package kubetest

import "syscall"

// sysProcAttr makes the kernel kill the child when the test binary dies, so no etcd or
// kube-apiserver outlives a crashed test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
