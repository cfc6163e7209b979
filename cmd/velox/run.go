package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/proxy"
)

// runConfig is `velox [-config FILE] [flags]`; without a file it runs the demo.
func runConfig(args []string) error {
	fs := flag.NewFlagSet("velox", flag.ContinueOnError)
	var c common
	c.register(fs)
	path := fs.String("config", "", "YAML config file (none = built-in demo)")
	if help, err := parseFlags(fs, usageVelox, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (did you mean `velox proxy ...`?)", fs.Arg(0))
	}
	if *path == "" {
		return runDemo(&c)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	return serve(cfg, &c, func() (*config.Config, error) { return config.Load(*path) }, nil)
}

// serve runs cfg until SIGTERM or SIGINT, reloading on SIGHUP with reload
// (nil = no reload). ready, if set, runs once the listeners are open.
func serve(cfg *config.Config, c *common, reload func() (*config.Config, error), ready func(*proxy.Server)) error {
	cpus, err := c.cpus()
	if err != nil {
		return err
	}
	if err := c.checkBusyPoll(); err != nil {
		return err
	}
	adminAddr, err := c.adminAddr()
	if err != nil {
		return err
	}
	logOpts, err := c.logOptions()
	if err != nil {
		return err
	}
	logger := proxy.NewLoggerWith(os.Stderr, logOpts)
	defer logger.Close()
	// Catch signals before the listeners open and "listening" is logged: a
	// SIGHUP that arrived before Notify would kill the process.
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sig)
	srv, err := proxy.New(cfg, proxy.Options{Loops: c.loops, PinCPUs: cpus, BusyPoll: c.busyPoll, Logger: logger})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	if adminAddr.IsValid() {
		bound, err := startAdmin(adminAddr, srv)
		if err != nil {
			srv.Shutdown()
			return err
		}
		logger.Printf("admin", "listening on http://%s%s", bound, adminExposure(adminAddr))
	}
	logger.Printf("velox", "listening on %v", canonical(srv.Addrs()))
	if ready != nil {
		ready(srv)
	}
	return waitSignals(sig, srv, logger, reload, cfg)
}

// waitSignals reloads on SIGHUP and drains on SIGTERM/SIGINT.
// started is the config the process started with.
func waitSignals(sig <-chan os.Signal, srv *proxy.Server, logger *proxy.Logger, reload func() (*config.Config, error), started *config.Config) error {
	for s := range sig {
		if s == syscall.SIGHUP {
			doReload(srv, logger, reload, started)
			continue
		}
		logger.Printf("velox", "%v: draining", s)
		if !srv.Shutdown() {
			logger.Printf("velox", "drain timeout: closed connections still in flight")
		}
		return nil
	}
	return nil
}

func doReload(srv *proxy.Server, logger *proxy.Logger, reload func() (*config.Config, error), started *config.Config) {
	if reload == nil {
		logger.Printf("reload", "no config file to reload")
		return
	}
	cfg, err := reload()
	if err == nil {
		err = srv.Reload(cfg)
	}
	if err != nil {
		logger.Printf("reload", "refused, old config keeps serving: %v", err)
		return
	}
	logger.Printf("reload", "new config in use")
	noteStartOnly(logger, started, cfg)
}
