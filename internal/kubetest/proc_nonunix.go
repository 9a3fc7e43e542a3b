//go:build !unix

package kubetest

import "os"

// terminateSignal is the only signal every platform supports.
func terminateSignal() os.Signal { return os.Kill }
