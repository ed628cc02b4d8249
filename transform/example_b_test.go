package transform_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

func ExampleOutbox() {
	outbox, err := transform.Outbox(transform.OutboxConfig{ExpandJSONPayload: true})
	if err != nil {
		panic(err)
	}
	// Only the outbox table: other tables' rows are not outbox events.
	t := transform.When(transform.Tables("public.outbox"), outbox)

	ev := cdc.Event{
		Op:    cdc.OpCreate,
		Table: cdc.TableID{Database: "shop", Schema: "public", Name: "outbox"},
		After: cdc.RowOf(
			"id", "4d47e190-0402-4048-bc2c-89dd54343cdc",
			"aggregatetype", "order",
			"aggregateid", "1001",
			"type", "OrderCreated",
			"payload", json.RawMessage(`{"orderId": 1001, "total": "59.97"}`),
		),
	}
	if _, err := t.Apply(context.Background(), &ev); err != nil {
		panic(err)
	}
	key, _ := ev.Key.MarshalJSON()
	value, _ := ev.After.MarshalJSON()
	fmt.Println("destination:", ev.Destination)
	fmt.Println("key:        ", string(key))
	fmt.Println("value:      ", string(value))
	for _, h := range ev.Headers {
		fmt.Printf("header:      %s=%v\n", h.Key, h.Value)
	}
	fmt.Println("id:         ", ev.ID())
	// Output:
	// destination: outbox.event.order
	// key:         {"aggregateid":"1001"}
	// value:       {"orderId":1001,"total":"59.97"}
	// header:      id=4d47e190-0402-4048-bc2c-89dd54343cdc
	// header:      type=OrderCreated
	// id:          4d47e190-0402-4048-bc2c-89dd54343cdc
}

func ExampleMask() {
	mask, err := transform.Mask(6, "email", "card")
	if err != nil {
		panic(err)
	}
	ev := cdc.Event{
		Op:    cdc.OpCreate,
		Table: cdc.TableID{Database: "shop", Schema: "public", Name: "customers"},
		Key:   cdc.RowOf("id", int64(7)),
		After: cdc.RowOf("id", int64(7), "email", "ada@example.com", "card", int64(4111111111111111), "phone", nil),
	}
	if _, err := mask.Apply(context.Background(), &ev); err != nil {
		panic(err)
	}
	after, _ := ev.After.MarshalJSON()
	fmt.Println(string(after))
	// Output:
	// {"id":7,"email":"******","card":"******","phone":null}
}
