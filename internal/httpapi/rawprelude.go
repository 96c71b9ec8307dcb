package httpapi

import (
	"fmt"
	"time"

	"github.com/dlclark/regexp2"
)

// RegexMatchTimeout bounds one regular expression match of a Gizmo query.
// goja hands patterns its own engine cannot run (lookaheads,
// backreferences) to github.com/dlclark/regexp2, whose backtracking goja's
// Interrupt cannot stop. regexp2 reads its package-level
// DefaultMatchTimeout when goja compiles a pattern; it is set once, at
// init, for the whole process (a per-query value would race with queries
// compiling at the same time). A match that runs out of time is abandoned
// and goja reports it as no match (null from exec, false from test).
// regexp2's clock ticks every 100 ms, so a match ends within about this
// bound plus 100 ms.
const RegexMatchTimeout = time.Second

func init() { regexp2.DefaultMatchTimeout = RegexMatchTimeout }

// allocCaps are the largest results one built-in call of a Gizmo query may
// make, derived from the memory limit: one call may allocate at most half
// of it, a string character costing at least one byte (two when the string
// is not ASCII) and an array element 16 bytes (a goja Value).
type allocCaps struct {
	Bytes   int64 // one call's allocation
	Chars   int64 // a string's length
	Elems   int64 // an array's length
	LimitMB int64 // the memory limit in MiB, for the message
}

func capsFor(memory int64) allocCaps {
	b := memory / 2
	return allocCaps{Bytes: b, Chars: b / 2, Elems: b / 16, LimitMB: memory >> 20}
}

// prelude is the script run in a Gizmo session's runtime before the
// user's query (cayley keeps one goja runtime per session and does not
// export it; a second Execute on the same session runs in the same
// runtime). It removes what lets one call allocate without bound and that
// a graph query has no use for (ArrayBuffer, SharedArrayBuffer, the typed
// arrays, DataView, Proxy, WebAssembly), and wraps the built-ins that make
// a result of a length they are given (String.prototype.repeat, padStart,
// padEnd, concat, replace, replaceAll; Array, Array.from, Array.of and
// every Array.prototype method; Function.prototype.apply, Reflect.apply
// and Reflect.construct) so that they throw a RangeError before making a
// result past the caps. The originals are kept in a closure the query
// cannot reach, and the wrappers call them through captured references
// only, so replacing a built-in later changes nothing but the query's own
// behaviour. The user's text is compiled on its own, so its syntax errors
// keep their line and column.
func prelude(c allocCaps) string {
	return fmt.Sprintf(preludeJS, c.Bytes, c.Chars, c.Elems, c.LimitMB)
}

const preludeJS = `(function (MAXB, MAXS, MAXA, LIMMB) {
"use strict";
var G = Function("return this")();
["ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray",
 "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
 "BigInt64Array", "BigUint64Array", "Proxy", "WebAssembly", "Atomics"].forEach(function (n) { delete G[n]; });
var S = String, Num = Number, OA = Array, RE = RangeError, TE = TypeError, floor = Math.floor;
var rapply = Reflect.apply, rconstruct = Reflect.construct, isArr = OA.isArray;
var gopd = Object.getOwnPropertyDescriptor, gpo = Object.getPrototypeOf, defp = Object.defineProperty;
var names = Object.getOwnPropertyNames, spreadable = Symbol.isConcatSpreadable;
function stop(what, bytes) {
	throw new RE("query stopped: " + what + " would allocate " + bytes + " bytes or more, memory limit " + LIMMB +
		" MiB (one call may allocate at most " + MAXB + " bytes)");
}
function toInt(v) { v = Num(v); return v !== v ? 0 : (v < 0 ? -floor(-v) : floor(v)); }
function str(t, name) {
	if (t === null || t === undefined) throw new TE("String.prototype." + name + " called on null or undefined");
	return S(t);
}
function chars(what, n) { if (n > MAXS) stop(what, n); }
function elems(what, n) { if (n > MAXA) stop(what, n * 16); }
// lengthOf is the length of an array or array-like without calling a
// getter (a getter could answer a small length here and a large one to
// the built-in).
function lengthOf(o, what) {
	if (o === null || o === undefined || typeof o !== "object" && typeof o !== "function") {
		return typeof o === "string" ? o.length : 0;
	}
	if (isArr(o)) return o.length;
	for (var p = o; p !== null; p = gpo(p)) {
		var d = gopd(p, "length");
		if (d === undefined) continue;
		if (!("value" in d)) throw new TE(what + ": an array-like with a length getter is not accepted in a raw query");
		var n = toInt(d.value);
		return n < 0 ? 0 : n;
	}
	return 0;
}
function put(o, name, f) { defp(o, name, {value: f, writable: true, configurable: true, enumerable: false}); }

var SP = S.prototype;
var repeat = SP.repeat, padStart = SP.padStart, padEnd = SP.padEnd, sconcat = SP.concat;
var replace = SP.replace, replaceAll = SP.replaceAll, sindexOf = SP.indexOf;
put(SP, "repeat", function repeat_(count) {
	var s = str(this, "repeat"), n = toInt(count);
	if (n > 0) chars('"...".repeat(' + n + ')', s.length * n);
	return rapply(repeat, s, [n]);
});
function pad(orig, name) {
	return function (maxLength, fill) {
		var s = str(this, name), n = toInt(maxLength), f = fill === undefined ? undefined : S(fill);
		if (n > s.length && (f === undefined || f.length > 0)) chars('"...".' + name + '(' + n + ')', n);
		return rapply(orig, s, [n, f]);
	};
}
put(SP, "padStart", pad(padStart, "padStart"));
put(SP, "padEnd", pad(padEnd, "padEnd"));
put(SP, "concat", function concat() {
	var s = str(this, "concat"), parts = [], total = s.length;
	for (var i = 0; i < arguments.length; i++) {
		var p = S(arguments[i]);
		total += p.length;
		chars('"...".concat()', total);
		parts[i] = p;
	}
	return rapply(sconcat, s, parts);
});
// replaceBound is the most a replacement can make: every match (at most
// one per position) gets the replacement text, $& and $n add at most the
// input once in all (matches do not overlap), the prefix and suffix
// patterns ($ with a backtick or a quote) the input once per match.
function replaceBound(s, rep, what) {
	if (typeof rep === "function") return;
	rep = S(rep);
	if (rapply(sindexOf, rep, ["$"]) < 0) {
		chars(what, s.length + (s.length + 1) * rep.length);
		return rep;
	}
	var n = s.length, amp = 0, side = 0;
	for (var i = 0; i + 1 < rep.length; i++) {
		if (rep[i] !== "$") continue;
		var c = rep[i + 1];
		if (c === "\x60" || c === "'") side++; else if (c !== "$") amp++;
		i++;
	}
	chars(what, n + (n + 1) * rep.length + amp * n + side * (n + 1) * n);
	return rep;
}
function rep(orig, name) {
	return function (pattern, replacement) {
		var s = str(this, name);
		var r = replaceBound(s, replacement, '"...".' + name + '()');
		return rapply(orig, s, [pattern, r === undefined ? replacement : r]);
	};
}
put(SP, "replace", rep(replace, "replace"));
put(SP, "replaceAll", rep(replaceAll, "replaceAll"));
var RP = RegExp.prototype, rxReplace = RP[Symbol.replace];
put(RP, Symbol.replace, function (string, replacement) {
	var s = S(string);
	var r = replaceBound(s, replacement, "RegExp.prototype[Symbol.replace]()");
	return rapply(rxReplace, this, [s, r === undefined ? replacement : r]);
});

var AP = OA.prototype, ojoin = AP.join, from = OA.from, of = OA.of;
function Array_() {
	if (arguments.length === 1 && typeof arguments[0] === "number") elems("Array(" + arguments[0] + ")", arguments[0]);
	return rconstruct(OA, arguments);
}
defp(Array_, "name", {value: "Array"});
Array_.prototype = AP;
put(AP, "constructor", Array_);
put(Array_, "isArray", isArr);
put(Array_, "from", function from_(items) {
	if (items !== null && items !== undefined && typeof items[Symbol.iterator] !== "function") elems("Array.from()", lengthOf(items, "Array.from"));
	return rapply(from, OA, arguments);
});
put(Array_, "of", function of_() { return rapply(of, OA, arguments); });
put(G, "Array", Array_);
// join builds the parts itself, converting each element once, so that the
// total is known before the string is made.
function joinParts(o, sep, conv, what) {
	var n = lengthOf(o, what);
	elems(what, n);
	chars(what, sep.length * (n - 1));
	var parts = [], total = sep.length * (n > 0 ? n - 1 : 0);
	for (var i = 0; i < n; i++) {
		var e = o[i], p = e === null || e === undefined ? "" : conv(e);
		total += p.length;
		chars(what, total);
		parts[i] = p;
	}
	return rapply(ojoin, parts, [sep]);
}
// Spreading an array ([...a], f(...a)) copies it in one native loop that
// Interrupt cannot stop: its iterator checks the length.
var values = AP[Symbol.iterator];
put(AP, Symbol.iterator, function values_() {
	elems("spreading or iterating an array", lengthOf(this, "Array.prototype[Symbol.iterator]"));
	return rapply(values, this, arguments);
});
names(AP).forEach(function (name) {
	var orig = AP[name];
	if (name === "constructor" || typeof orig !== "function") return;
	var what = "Array.prototype." + name + "()";
	var f;
	switch (name) {
	case "join":
		f = function join(sep) {
			if (this === null || this === undefined) throw new TE(what + " called on null or undefined");
			return joinParts(this, sep === undefined ? "," : S(sep), S, what);
		};
		break;
	case "toLocaleString":
		f = function toLocaleString() {
			if (this === null || this === undefined) throw new TE(what + " called on null or undefined");
			return joinParts(this, ",", function (e) { return S(e.toLocaleString()); }, what);
		};
		break;
	case "concat":
		f = function concat() {
			var n = lengthOf(this, what);
			for (var i = 0; i < arguments.length; i++) {
				var a = arguments[i];
				n += isArr(a) || a !== null && typeof a === "object" && a[spreadable] ? lengthOf(a, what) : 1;
			}
			elems(what, n);
			return rapply(orig, this, arguments);
		};
		break;
	default:
		f = function () {
			elems(what, lengthOf(this, what) + arguments.length);
			return rapply(orig, this, arguments);
		};
	}
	put(AP, name, f);
});
// apply and construct copy an array-like's elements into an argument list.
var FP = Function.prototype, fapply = FP.apply;
put(FP, "apply", function apply(thisArg, args) {
	if (args !== null && args !== undefined) elems("Function.prototype.apply()", lengthOf(args, "Function.prototype.apply"));
	return rapply(fapply, this, arguments);
});
var R = Reflect;
put(R, "apply", function apply(f, thisArg, args) {
	elems("Reflect.apply()", lengthOf(args, "Reflect.apply"));
	return rapply(f, thisArg, args);
});
put(R, "construct", function construct(f, args) {
	elems("Reflect.construct()", lengthOf(args, "Reflect.construct"));
	return rapply(rconstruct, R, arguments);
});
// Code compiled while the query runs would escape the guard that checks the
// query's text before parsing (a Function("(((…") can overflow the parser's
// stack and kill the process): eval and every function constructor go.
function noCompile() {
	throw new TypeError("query stopped: code compiled at run time (eval, Function) is not allowed in a raw query");
}
var ctors = [Function];
["function*(){}", "async function(){}", "async function*(){}"].forEach(function (src) {
	try { ctors.push(Object.getPrototypeOf(Function("return " + src)()).constructor); } catch (e) {}
});
ctors.forEach(function (C) { put(C.prototype, "constructor", noCompile); });
put(G, "Function", noCompile);
put(G, "eval", noCompile);
})(%d, %d, %d, %d);
`
