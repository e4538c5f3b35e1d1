package gitops_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// argoDir holds the health scripts and the argocd-cm patch embedding them.
var argoDir = filepath.Join("..", "..", "config", "argocd")

// healthScripts maps each kind to its script and its argocd-cm key.
var healthScripts = map[string]struct{ file, key string }{
	kindSlot: {"health-replicationslot.lua",
		"resource.customizations.health.pg.slotkeeper.dev_ReplicationSlot"},
	kindServer: {"health-postgresserver.lua",
		"resource.customizations.health.pg.slotkeeper.dev_PostgresServer"},
}

// argoHealthCodes are the statuses Argo CD accepts from a script; anything
// else becomes Unknown.
var argoHealthCodes = map[string]bool{"Unknown": true, "Progressing": true, "Suspended": true,
	"Healthy": true, "Degraded": true, "Missing": true}

func readScript(t *testing.T, kind string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(argoDir, healthScripts[kind].file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// argoHealth runs a health script as Argo CD's util/lua does: a state
// without the standard libraries but package, base and table (Argo CD adds
// a reduced os, which these scripts do not use), a one-second deadline, obj
// set from the object, and the returned table's status and message.
func argoHealth(t *testing.T, script string, obj map[string]any) (string, string) {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", luaValue(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("health script failed: %v", err)
	}
	hs, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health script returned %s, Argo CD wants a table", l.Get(-1).Type())
	}
	return luaString(hs.RawGetString("status")), luaString(hs.RawGetString("message"))
}

func luaString(v lua.LValue) string {
	if v == lua.LNil {
		return ""
	}
	return v.String()
}

// luaValue converts an unstructured object as Argo CD's decodeValue does:
// maps to tables, arrays to 1-based tables, numbers to LNumber, null to nil.
func luaValue(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(luaValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), luaValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}
