// Package meshsim simulates a KubeSpan mesh in simulated time: nodes with candidate
// endpoints, some unreachable, each reconciling its peers exactly like Talos (the
// kubespan package's peer-status state machine on the 30 s timer and on joins), WireGuard
// handshakes, rekeys, retries and keepalives modelled just enough for states and byte
// counters. It reports when each peer comes up.
//
//	nodes, _ := meshsim.Random(10, 0.3, 1)
//	res, _ := meshsim.Run(nodes, meshsim.Options{StopWhenConverged: true})
//	fmt.Println(res.Converged, res.ConvergedAt)
//
// Runs are deterministic (no clock, seeded randomness) and fast: 100 nodes (9,900 links)
// for one simulated hour take about 0.3 s of CPU time.
package meshsim
