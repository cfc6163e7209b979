module github.com/velox-proxy/velox

go 1.26.8

require (
	github.com/bytedance/gopkg v0.1.4 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
