package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"dubbo.apache.org/dubbo-go/v3/client"
	_ "dubbo.apache.org/dubbo-go/v3/imports"
)

// result is what a client prints.
type result struct {
	OK      int            `json:"ok"`
	Failed  int            `json:"failed"`
	Errors  []string       `json:"errors"`  // the first few
	Servers map[string]int `json:"servers"` // answers by server name
}

func runClient(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:20000", "where to call (velox's listener)")
	iface := fs.String("interface", "org.velox.Echo", "interface (service) name")
	version := fs.String("version", "", "service version")
	group := fs.String("group", "", "service group")
	calls := fs.Int("calls", 100, "calls to make")
	conc := fs.Int("conc", 10, "calls in flight at once")
	timeout := fs.Duration("timeout", 5*time.Second, "request timeout")
	arg := fs.String("arg", "hello", "argument of Echo (sleep:<duration> makes the server wait)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cli, err := client.NewClient(client.WithClientProtocolDubbo(), client.WithClientSerialization("hessian2"))
	if err != nil {
		return err
	}
	opts := []client.ReferenceOption{client.WithURL("dubbo://" + *addr), client.WithRequestTimeout(*timeout), client.WithRetries(0)}
	if *version != "" {
		opts = append(opts, client.WithVersion(*version))
	}
	if *group != "" {
		opts = append(opts, client.WithGroup(*group))
	}
	conn, err := cli.Dial(*iface, opts...)
	if err != nil {
		return err
	}
	res := call(conn, *calls, *conc, *arg)
	return json.NewEncoder(os.Stdout).Encode(res)
}

// call makes n calls, conc at a time, and checks each answer is name:arg.
func call(conn *client.Connection, n, conc int, arg string) *result {
	res := &result{Servers: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a := fmt.Sprintf("%s#%d", arg, i)
				if strings.HasPrefix(arg, "sleep:") {
					a = arg
				}
				var resp string
				err := conn.CallUnary(context.Background(), []any{a}, &resp, "Echo")
				name, got, ok := strings.Cut(resp, ":")
				if err == nil && (!ok || got != a) {
					err = fmt.Errorf("answer %q to %q", resp, a)
				}
				mu.Lock()
				if err != nil {
					res.Failed++
					if len(res.Errors) < 5 {
						res.Errors = append(res.Errors, err.Error())
					}
				} else {
					res.OK++
					res.Servers[name]++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return res
}
