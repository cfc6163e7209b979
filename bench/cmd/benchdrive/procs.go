package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs starts the benchmark's processes and kills every one it started,
// whatever happens: Stop each, and StopAll on the way out. Every pid is also
// listed in pidFile, so that bench/run.sh can kill leftovers if the driver
// itself is killed.
type procs struct {
	logDir  string
	pidFile string
	nice    int // niceness of everything started (nice -n); 0 = unchanged

	mu   sync.Mutex
	live map[int]*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set before done is closed
}

func newProcs(logDir string) *procs {
	return &procs{logDir: logDir, pidFile: filepath.Join(logDir, "pids"), live: map[int]*proc{}}
}

// Start runs args pinned to cpu (taskset -c) with env added; cpu < 0 means
// no pinning. Output goes to logDir/name.log.
func (ps *procs) Start(name string, cpu int, env []string, args ...string) (*proc, error) {
	args = ps.wrap(cpu, args)
	logPath := filepath.Join(ps.logDir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	ps.track(p)
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		ps.untrack(p)
		close(p.done)
	}()
	return p, nil
}

// wrap prefixes args with taskset (cpu >= 0) and nice (ps.nice != 0); both
// exec the program, so its pid is the one started.
func (ps *procs) wrap(cpu int, args []string) []string {
	if cpu >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, args...)
	}
	if ps.nice != 0 {
		args = append([]string{"nice", "-n", strconv.Itoa(ps.nice)}, args...)
	}
	return args
}

func (ps *procs) track(p *proc) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.live[p.cmd.Process.Pid] = p
	ps.writePids()
}

func (ps *procs) untrack(p *proc) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.live, p.cmd.Process.Pid)
	ps.writePids()
}

// writePids rewrites pidFile; ps.mu held.
func (ps *procs) writePids() {
	var b strings.Builder
	for pid := range ps.live {
		fmt.Fprintln(&b, pid)
	}
	_ = os.WriteFile(ps.pidFile, []byte(b.String()), 0o644)
}

// Stop ends p: SIGTERM, then SIGKILL after grace.
func (ps *procs) Stop(p *proc, grace time.Duration) {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// StopAll ends every process still running.
func (ps *procs) StopAll() {
	ps.mu.Lock()
	list := make([]*proc, 0, len(ps.live))
	for _, p := range ps.live {
		list = append(list, p)
	}
	ps.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range list {
		wg.Go(func() { ps.Stop(p, 2*time.Second) })
	}
	wg.Wait()
}

// Pid is the process id (taskset execs the program, so it is the program's).
func (p *proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether p has exited.
func (p *proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// LogTail is the last n lines of p's output, for error messages.
func (p *proc) LogTail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Run runs args pinned to cpu to completion within timeout and returns its
// stdout and the CPU time it used; stderr is appended to the error.
func (ps *procs) Run(ctx context.Context, timeout time.Duration, cpu int, env []string, args ...string) (string, time.Duration, error) {
	args = ps.wrap(cpu, args)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	p := &proc{name: args[0], cmd: cmd}
	ps.track(p)
	err := cmd.Wait()
	ps.untrack(p)
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %v", timeout)
	}
	var used time.Duration
	if cmd.ProcessState != nil {
		used = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return stdout.String(), used, fmt.Errorf("%s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), used, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts a TCP connection or p exits.
func waitListening(p *proc, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.Exited() {
			return fmt.Errorf("%s exited: %v\n%s", p.name, p.err, p.LogTail(10))
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: nothing listening on %s after %v\n%s", p.name, addr, timeout, p.LogTail(10))
}

// waitLine waits until p's log has a line starting with prefix and returns it.
func waitLine(p *proc, prefix string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if f, err := os.Open(p.log); err == nil {
			line, ok := findLine(f, prefix)
			f.Close()
			if ok {
				return line, nil
			}
		}
		if p.Exited() {
			return "", fmt.Errorf("%s exited: %v\n%s", p.name, p.err, p.LogTail(10))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", errors.New(p.name + ": no \"" + prefix + "\" line in time")
}

func findLine(r io.Reader, prefix string) (string, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			return sc.Text(), true
		}
	}
	return "", false
}

// vmRSS is VmRSS of pid in bytes.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(string(b))
}

func parseVmRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("odd VmRSS line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in status")
}
