package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// EnvBinDir names the environment variable holding the directory with the etcd and
// kube-apiserver binaries.
const EnvBinDir = "TALOSPATCH_KUBE_BIN"

// ProvisionHint says how to install the binaries; it is part of every skip message.
const ProvisionHint = "run `bash .ci/provision-kube.sh` in the repository root (installs etcd, builds kube-apiserver into .cache/bin)"

// startTimeout bounds the start of one process, generous for 2 loaded cores.
const startTimeout = 3 * time.Minute

// errExitedEarly is wrapped by the error about a process that exited before it was ready.
var errExitedEarly = errors.New("exited before it was ready")

// ErrBinaryNotFound is wrapped by the error about a missing etcd or kube-apiserver binary.
var ErrBinaryNotFound = errors.New("binary not found")

// Env is one running API server: an empty cluster when it comes from Pool.Fresh or Start.
type Env struct {
	// Kubeconfig is the path of a kubeconfig file for the cluster admin (system:masters).
	Kubeconfig string
	// Host is the API server URL, https://127.0.0.1:<port>.
	Host string
	// EtcdPrefix is the etcd key prefix that holds this cluster's objects.
	EtcdPrefix string

	config *rest.Config
	proc   *process
}

// Config returns a new copy of the admin rest.Config (bearer token, CA data). QPS and Burst
// are left at zero, as in a config loaded from a kubeconfig.
func (e *Env) Config() *rest.Config {
	return rest.CopyConfig(e.config)
}

// Pool shares one etcd between the API servers that the tests of one binary start. The zero
// value is ready to use; call Close from TestMain after m.Run. A Pool is safe for concurrent
// use.
type Pool struct {
	mu      sync.Mutex
	started bool
	err     error
	bins    binaries
	dir     string
	etcd    *process
	etcdURL string
	next    int
	shared  *Env
	sErr    error
	servers []*process
}

// Shared returns the API server shared by every test of the binary that calls Shared, starting
// it on first use. Tests using it must not interfere: use names or namespaces of their own.
// Without binaries the test is skipped (failed with CI=true).
func (p *Pool) Shared(t testing.TB) *Env {
	t.Helper()

	p.mu.Lock()
	defer p.mu.Unlock()

	if err := p.startLocked(); errors.Is(err, ErrBinaryNotFound) {
		unavailable(t, err)
	} else if err != nil {
		t.Fatalf("kubetest: etcd: %v", err)
	}

	if p.shared == nil && p.sErr == nil {
		p.shared, p.sErr = p.apiserverLocked("shared")
	}

	if p.sErr != nil {
		t.Fatalf("kubetest: shared API server: %v", p.sErr)
	}

	return p.shared
}

// Fresh starts an API server of its own on a new etcd prefix (an empty cluster) and stops it
// when the test ends. Without binaries the test is skipped (failed with CI=true).
func (p *Pool) Fresh(t testing.TB) *Env {
	t.Helper()

	p.mu.Lock()
	err := p.startLocked()
	var env *Env
	if err == nil {
		env, err = p.apiserverLocked(sanitize(t.Name()))
	}
	p.mu.Unlock()

	if errors.Is(err, ErrBinaryNotFound) {
		unavailable(t, err)
	}

	if err != nil {
		t.Fatalf("kubetest: API server: %v", err)
	}

	t.Cleanup(func() { env.proc.stop() })

	return env
}

// Close stops every process the pool started and removes its files. The pool can be used
// again afterwards (it starts anew).
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()

	for _, s := range p.servers {
		s.stop()
	}

	if p.etcd != nil {
		p.etcd.stop()
	}

	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}

	p.started, p.err, p.bins, p.dir = false, nil, binaries{}, ""
	p.etcd, p.etcdURL, p.next = nil, "", 0
	p.shared, p.sErr, p.servers = nil, nil, nil
}

// Start starts etcd and an API server for one test and stops both when it ends.
func Start(t testing.TB) *Env {
	t.Helper()

	p := &Pool{}
	t.Cleanup(p.Close)

	return p.Fresh(t)
}

func (p *Pool) startLocked() error {
	if p.started {
		return p.err
	}

	p.started = true
	p.err = p.startEtcdLocked()

	return p.err
}

func (p *Pool) startEtcdLocked() error {
	bins, err := findBinaries()
	if err != nil {
		return err
	}

	p.bins = bins

	// etcd 3.4 has no --unsafe-no-fsync; a tmpfs data dir keeps fsync cheap.
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}

	p.dir, err = os.MkdirTemp(base, "talospatch-kubetest-")
	if err != nil {
		return fmt.Errorf("creating the working directory: %w", err)
	}

	// A port picked by freePort can be taken by someone else before the process binds it:
	// start again on new ports when the process exits early.
	for attempt := 1; ; attempt++ {
		err = p.startEtcdOnceLocked(attempt)
		if err == nil || !errors.Is(err, errExitedEarly) || attempt == startAttempts {
			return err
		}
	}
}

// startAttempts is how often a process that exits before it is ready is started again.
const startAttempts = 3

func (p *Pool) startEtcdOnceLocked(attempt int) error {
	clientPort, err := freePort()
	if err != nil {
		return err
	}

	peerPort, err := freePort()
	if err != nil {
		return err
	}

	p.etcdURL = "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	name := fmt.Sprintf("etcd-%d", attempt)

	p.etcd, err = startProcess(filepath.Join(p.dir, name+".log"), p.bins.etcd,
		"--name=kubetest",
		"--data-dir="+filepath.Join(p.dir, name),
		"--listen-client-urls="+p.etcdURL,
		"--advertise-client-urls="+p.etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--log-level=warn",
		"--logger=zap",
		"--quota-backend-bytes=4294967296",
	)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	if err := p.etcd.waitReady(ctx, http.DefaultClient, p.etcdURL+"/health", nil); err != nil {
		p.etcd.stop()

		return fmt.Errorf("etcd: %w", err)
	}

	return nil
}

func (p *Pool) apiserverLocked(name string) (*Env, error) {
	for attempt := 1; ; attempt++ {
		env, err := p.apiserverOnceLocked(name)
		if err == nil || !errors.Is(err, errExitedEarly) || attempt == startAttempts {
			return env, err
		}
	}
}

func (p *Pool) apiserverOnceLocked(name string) (*Env, error) {
	p.next++
	id := fmt.Sprintf("%02d-%s", p.next, name)

	dir := filepath.Join(p.dir, "apiserver-"+id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}

	creds, err := writeCredentials(dir)
	if err != nil {
		return nil, err
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}

	host := "https://127.0.0.1:" + strconv.Itoa(port)
	prefix := "/registry-" + id

	proc, err := startProcess(filepath.Join(dir, "kube-apiserver.log"), p.bins.apiserver,
		"--etcd-servers="+p.etcdURL,
		"--etcd-prefix="+prefix,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+dir,
		"--tls-cert-file="+creds.servingCert,
		"--tls-private-key-file="+creds.servingKey,
		"--client-ca-file="+creds.caCert,
		"--token-auth-file="+creds.tokenFile,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+creds.saPublic,
		"--service-account-signing-key-file="+creds.saPrivate,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
	)
	if err != nil {
		return nil, err
	}

	p.servers = append(p.servers, proc)

	config := &rest.Config{
		Host:            host,
		BearerToken:     creds.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: creds.caPEM},
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(creds.caPEM)

	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	header := http.Header{"Authorization": []string{"Bearer " + creds.token}}
	if err := proc.waitReady(ctx, client, host+"/readyz", header); err != nil {
		proc.stop()

		return nil, fmt.Errorf("kube-apiserver: %w", err)
	}

	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, config); err != nil {
		proc.stop()

		return nil, err
	}

	return &Env{Kubeconfig: kubeconfig, Host: host, EtcdPrefix: prefix, config: config, proc: proc}, nil
}

func writeKubeconfig(path string, config *rest.Config) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: config.Host, CertificateAuthorityData: config.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: config.BearerToken}
	cfg.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: "admin"}
	cfg.CurrentContext = "kubetest"

	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}

	return nil
}

// unavailable skips the test (fails it with CI=true) because the control plane cannot run.
func unavailable(t testing.TB, err error) {
	t.Helper()

	if os.Getenv("CI") == "true" {
		t.Fatalf("kubetest: the real API server is required in CI: %v; %s", err, ProvisionHint)
	}

	t.Skipf("kubetest: %v; to run this test, %s", err, ProvisionHint)
}

type binaries struct {
	etcd, apiserver string
}

// findBinaries looks for etcd and kube-apiserver in $TALOSPATCH_KUBE_BIN, <repo>/.cache/bin
// and $PATH, in that order.
func findBinaries() (binaries, error) {
	var dirs []string
	if dir := os.Getenv(EnvBinDir); dir != "" {
		dirs = append(dirs, dir)
	}

	if root, err := repoRoot(); err == nil {
		dirs = append(dirs, filepath.Join(root, ".cache", "bin"))
	}

	find := func(name string) (string, error) {
		for _, dir := range dirs {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}

		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}

		return "", fmt.Errorf("%w: %s (looked in %s)", ErrBinaryNotFound, name, strings.Join(append(dirs, "$PATH"), ", "))
	}

	etcd, err := find("etcd")
	if err != nil {
		return binaries{}, err
	}

	apiserver, err := find("kube-apiserver")
	if err != nil {
		return binaries{}, err
	}

	return binaries{etcd: etcd, apiserver: apiserver}, nil
}

// repoRoot returns the directory of the talospatch go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}

	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/talospatch/talospatch\n")) {
			return dir, nil
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found")
		}

		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()

	return l.Addr().(*net.TCPAddr).Port, nil
}

// sanitize turns a test name into a short string usable in paths and etcd prefixes.
func sanitize(name string) string {
	var b strings.Builder

	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}

	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = s[:40]
	}

	return s
}

// process is a started child process whose output goes to a log file.
type process struct {
	cmd     *exec.Cmd
	log     string
	done    chan struct{}
	waitErr error
	once    sync.Once
}

func startProcess(logPath, bin string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", logPath, err)
	}

	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()

	if err := cmd.Start(); err != nil {
		logFile.Close()

		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}

	p := &process{cmd: cmd, log: logPath, done: make(chan struct{})}

	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()

	return p, nil
}

// waitReady polls url until it answers 200, the process exits or ctx ends.
func (p *process) waitReady(ctx context.Context, client *http.Client, url string, header http.Header) error {
	var last string

	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}

		for k, v := range header {
			req.Header[k] = v
		}

		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()

			if resp.StatusCode == http.StatusOK {
				return nil
			}

			last = fmt.Sprintf("%s: %s", resp.Status, body)
		} else {
			last = err.Error()
		}

		select {
		case <-p.done:
			return fmt.Errorf("%s %w (%v); log %s:\n%s",
				filepath.Base(p.cmd.Path), errExitedEarly, p.waitErr, p.log, tail(p.log, 30))
		case <-ctx.Done():
			return fmt.Errorf("not ready at %s: %s; log %s:\n%s", url, last, p.log, tail(p.log, 30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop terminates the process (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (p *process) stop() {
	p.once.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}

		_ = p.cmd.Process.Signal(terminateSignal())

		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()

	var lines []string

	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)

	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}

	return strings.Join(lines, "\n")
}
