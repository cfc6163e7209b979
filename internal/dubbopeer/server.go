package main

import (
	"flag"
	"strings"
	"time"

	_ "dubbo.apache.org/dubbo-go/v3/imports"
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/server"
)

// EchoProvider is the service a server offers.
type EchoProvider struct{ name string }

// Echo answers name:s, after sleeping when s is "sleep:<duration>".
func (p *EchoProvider) Echo(s string) (string, error) {
	if d, ok := strings.CutPrefix(s, "sleep:"); ok {
		if t, err := time.ParseDuration(d); err == nil {
			time.Sleep(t)
		}
	}
	return p.name + ":" + s, nil
}

func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	port := fs.Int("port", 20000, "port on 127.0.0.1")
	iface := fs.String("interface", "org.velox.Echo", "interface (service) name")
	version := fs.String("version", "", "service version")
	name := fs.String("name", "server", "name put in every answer")
	group := fs.String("group", "", "service group")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := server.NewServer(server.WithServerProtocol(
		protocol.WithDubbo(), protocol.WithPort(*port),
	))
	if err != nil {
		return err
	}
	opts := []server.ServiceOption{server.WithInterface(*iface), server.WithSerialization("hessian2"), server.WithNotRegister()}
	if *version != "" {
		opts = append(opts, server.WithVersion(*version))
	}
	if *group != "" {
		opts = append(opts, server.WithGroup(*group))
	}
	if err := srv.Register(&EchoProvider{name: *name}, nil, opts...); err != nil {
		return err
	}
	return srv.Serve()
}
