package meshsim_test

import (
	"fmt"

	"github.com/talospatch/talospatch/kubespan/meshsim"
)

func ExampleRun() {
	nodes, _ := meshsim.Random(10, 0.3, 1)
	res, _ := meshsim.Run(nodes, meshsim.Options{Seed: 1, StopWhenConverged: true})
	up, expected := 0, 0
	for _, l := range res.Links {
		if l.Up {
			up++
		}
		if l.Expected {
			expected++
		}
	}
	fmt.Println(len(res.Links), "links,", expected, "can come up,", up, "up; converged:", res.Converged, "after", res.ConvergedAt.Round(1e9))
	// Output:
	// 90 links, 88 can come up, 88 up; converged: true after 58s
}
