module github.com/tributary-cdc/cdc/examples

go 1.25.0

require github.com/tributary-cdc/cdc v0.0.0

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/redis/go-redis/v9 v9.21.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
)

replace github.com/tributary-cdc/cdc => ../
