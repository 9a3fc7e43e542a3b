// Command fleetbench compares the whole-process wall time, CPU time and peak memory of
// examples/fleet (talospatch) with bench/fleet-baseline (today's way: helm template as a
// process, machinery's bundle and configpatcher per node) for fleets of several sizes.
//
// Runs of the two programs alternate (and alternate which goes first), so both see the same
// machine load; every figure is the median of -runs runs, and the ratios are computed from the
// medians of one invocation. Peak memory is the maximum resident set size of the process tree
// as wait4 reports it (for the baseline the larger of itself and its helm child, like
// /usr/bin/time -v).
//
//	go run ./bench/fleetbench -lib BIN -base BIN -chart FILE -secrets FILE [-helm PATH] [-runs 5] [-workers 100,1000]
//
// bench/fleet.sh builds the binaries and runs it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type sample struct {
	wall, cpu time.Duration
	maxRSS    int64 // KiB
}

type result struct {
	wall, cpu time.Duration
	maxRSS    int64
}

func main() {
	var (
		lib, base, chart, secrets, helm, workers, controlPlanes, dir string
		runs                                                         int
	)

	flag.StringVar(&lib, "lib", "", "examples/fleet binary")
	flag.StringVar(&base, "base", "", "bench/fleet-baseline binary")
	flag.StringVar(&chart, "chart", "", "Cilium chart archive")
	flag.StringVar(&secrets, "secrets", "", "Talos secrets bundle")
	flag.StringVar(&helm, "helm", "helm", "helm CLI for the baseline")
	flag.StringVar(&workers, "workers", "100,1000", "comma-separated worker counts; the first and the last give the per-worker cost")
	flag.StringVar(&controlPlanes, "controlplanes", "3", "control-plane count")
	flag.IntVar(&runs, "runs", 5, "whole-process runs per program and size (median)")
	flag.StringVar(&dir, "dir", "", "where the programs write their output (default: the system temporary directory)")
	flag.Parse()

	if err := run(os.Stdout, lib, base, chart, secrets, helm, controlPlanes, workers, dir, runs); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

// run measures both programs and writes the Markdown table and the per-worker line to w.
func run(w io.Writer, lib, base, chart, secrets, helm, controlPlanes, workers, dir string, runs int) error {
	if lib == "" || base == "" || chart == "" || secrets == "" {
		return fmt.Errorf("-lib, -base, -chart and -secrets are required")
	}

	cps, err := strconv.Atoi(controlPlanes)
	if err != nil {
		return fmt.Errorf("-controlplanes: %w", err)
	}

	var sizes []int

	for _, field := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			return fmt.Errorf("-workers: %w", err)
		}

		sizes = append(sizes, n)
	}

	tmp, err := os.MkdirTemp(dir, "fleetbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	libRes := make([]result, len(sizes))
	baseRes := make([]result, len(sizes))

	fmt.Fprintf(w, "%d control planes, median of %d whole-process runs, -deterministic, output in %s\n\n", cps, runs, tmp)
	fmt.Fprintln(w, "| nodes | today's way wall | talospatch wall | ratio | today's way CPU | talospatch CPU | today's way peak RSS | talospatch peak RSS |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")

	for k, n := range sizes {
		common := []string{
			"-chart", chart, "-secrets", secrets, "-deterministic",
			"-controlplanes", strconv.Itoa(cps), "-workers", strconv.Itoa(n),
		}

		var ls, bs []sample

		for r := range runs {
			libCmd := append([]string{lib}, common...)
			baseCmd := append([]string{base, "-helm", helm}, common...)

			order := [][]string{libCmd, baseCmd}
			if r%2 == 1 {
				order = [][]string{baseCmd, libCmd}
			}

			for _, argv := range order {
				out := filepath.Join(tmp, "out")
				if err := os.RemoveAll(out); err != nil {
					return err
				}

				s, err := measure(append(argv, "-out", out))
				if err != nil {
					return err
				}

				if argv[0] == lib {
					ls = append(ls, s)
				} else {
					bs = append(bs, s)
				}
			}
		}

		libRes[k], baseRes[k] = median(ls), median(bs)
		b, l := baseRes[k], libRes[k]

		fmt.Fprintf(w, "| %d | %s | %s | %.2fx | %s | %s | %s | %s |\n", cps+n,
			ms(b.wall), ms(l.wall), float64(l.wall)/float64(b.wall),
			ms(b.cpu), ms(l.cpu), mib(b.maxRSS), mib(l.maxRSS))
	}

	if last := len(sizes) - 1; last > 0 && sizes[last] > sizes[0] {
		extra := float64(sizes[last] - sizes[0])
		perWorker := func(rs []result, f func(result) time.Duration) float64 {
			return float64(f(rs[last])-f(rs[0])) / extra
		}
		wall := func(r result) time.Duration { return r.wall }
		cpu := func(r result) time.Duration { return r.cpu }

		bw, lw := perWorker(baseRes, wall), perWorker(libRes, wall)
		bc, lc := perWorker(baseRes, cpu), perWorker(libRes, cpu)

		fmt.Fprintf(w, "\nper additional worker (from %d to %d workers): wall today's way %.3f ms, talospatch %.3f ms, ratio %.2fx;"+
			" CPU today's way %.3f ms, talospatch %.3f ms, ratio %.2fx\n",
			sizes[0], sizes[last], bw/1e6, lw/1e6, lw/bw, bc/1e6, lc/1e6, lc/bc)
	}

	return nil
}

// measure runs argv once and returns its wall time, user+system CPU time and peak RSS.
func measure(argv []string) (sample, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr

	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}

	wall := time.Since(start)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)

	s := sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru != nil {
		s.maxRSS = ru.Maxrss
	}

	return s, nil
}

func median(ss []sample) result {
	pick := func(f func(sample) int64) int64 {
		v := make([]int64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}

		slices.Sort(v)

		if len(v)%2 == 1 {
			return v[len(v)/2]
		}

		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}

	return result{
		wall:   time.Duration(pick(func(s sample) int64 { return int64(s.wall) })),
		cpu:    time.Duration(pick(func(s sample) int64 { return int64(s.cpu) })),
		maxRSS: pick(func(s sample) int64 { return s.maxRSS }),
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
