// Command kubespan predicts KubeSpan identities and simulates KubeSpan meshes with the
// talospatch kubespan package.
//
//	go run ./examples/kubespan identity -cluster-id ID -mac MAC [-private-key KEY]
//	go run ./examples/kubespan simulate [-nodes N] [-unreachable FRACTION] [-seed S] [-duration D]
//	talosctl get kubespanpeerstatuses -o yaml | go run ./examples/kubespan explain [-now RFC3339]
//
// identity prints the node's KubeSpan subnet and address (and public key when a private key
// is given). simulate runs a mesh of N nodes whose endpoints are unreachable with the given
// probability, prints every node's `talosctl get kubespanpeerstatuses` table once the mesh
// has converged (or the duration is over), and how long convergence took in simulated time.
// explain reads `talosctl get kubespanpeerstatuses -o yaml` from stdin (or -f FILE) and says
// for every peer why it is in its state and what Talos does next.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/talospatch/talospatch/internal/examplefiles"
	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/kubespan/meshsim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  kubespan identity -cluster-id ID -mac MAC [-private-key KEY]
  kubespan simulate [-nodes N] [-unreachable FRACTION] [-seed S] [-duration D]
  kubespan explain [-f FILE] [-now RFC3339]
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "identity":
		err = identity(args[1:], stdout, stderr)
	case "simulate":
		err = simulate(args[1:], stdout, stderr)
	case "explain":
		err = explain(args[1:], os.Stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func identity(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("identity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clusterID := fs.String("cluster-id", "", "cluster `id`, cluster.id of the machine config (required)")
	mac := fs.String("mac", "", "MAC `address` of the node's first physical link, links sorted by name (required)")
	privateKey := fs.String("private-key", "", "WireGuard private `key` (base64) whose public key to print (default: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clusterID == "" || *mac == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "identity needs -cluster-id and -mac")
		fs.Usage()
		return errUsage
	}
	hw, err := net.ParseMAC(*mac)
	if err != nil {
		return fmt.Errorf("-mac: %w", err)
	}
	subnet := kubespan.Subnet(*clusterID)
	addr, err := kubespan.Address(subnet, hw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "subnet:  %s\naddress: %s\n", subnet, addr)
	if *privateKey != "" {
		k, err := kubespan.ParseKey(*privateKey)
		if err != nil {
			return fmt.Errorf("-private-key: %w", err)
		}
		pub, err := k.PublicKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "publicKey: %s\n", pub)
	}
	return nil
}

func simulate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("nodes", 5, "`number` of nodes")
	unreachable := fs.Float64("unreachable", 0.3, "`fraction` of endpoints that are unreachable, 0 to 1")
	seed := fs.Uint64("seed", 1, "random `seed`")
	duration := fs.Duration("duration", time.Hour, "simulated time `limit`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	nodes, err := meshsim.Random(*n, *unreachable, *seed)
	if err != nil {
		return err
	}
	res, err := meshsim.Run(nodes, meshsim.Options{Seed: *seed, Duration: *duration, StopWhenConverged: true})
	if err != nil {
		return err
	}
	var rows []kubespan.Row[kubespan.PeerStatus]
	for i, name := range res.Names {
		rows = append(rows, kubespan.Rows(name, 1, res.Statuses(i))...)
	}
	if err := kubespan.WritePeerStatuses(stdout, rows); err != nil {
		return err
	}
	up, expected := 0, 0
	for _, l := range res.Links {
		if l.Up {
			up++
		}
		if l.Expected {
			expected++
		}
	}
	fmt.Fprintln(stdout)
	if res.Converged {
		fmt.Fprintf(stdout, "converged after %s of simulated time: %d of %d links up", res.ConvergedAt.Round(time.Millisecond), up, len(res.Links))
	} else {
		fmt.Fprintf(stdout, "not converged after %s of simulated time: %d of %d links up", res.Elapsed, up, len(res.Links))
	}
	if never := len(res.Links) - expected; never > 0 {
		fmt.Fprintf(stdout, " (%d links have no reachable endpoint in either direction)", never)
	}
	fmt.Fprintln(stdout)
	return nil
}

func explain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "`file` with the output of talosctl get kubespanpeerstatuses -o yaml (default: stdin)")
	nowFlag := fs.String("now", "", "`time` to judge the statuses at, RFC 3339 (default: the current time)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	name := *file
	if name == "" {
		name = "-"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	data, err := examplefiles.ReadInput(ctx, name, stdin, examplefiles.MaxManifestInput)
	if err != nil {
		return err
	}
	now := time.Now()
	if *nowFlag != "" {
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return fmt.Errorf("-now: %w", err)
		}
	}
	rows, err := kubespan.ParsePeerStatuses(data)
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(stdout, "%s %s (%s): %s\n", r.Node, r.Value.Label, r.Value.ID, r.Value.Explain(now))
	}
	return nil
}
