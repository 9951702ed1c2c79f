#!/usr/bin/env node
import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{b as s}from"./chunks/chunk-R7TYQF36.js";import"./chunks/chunk-FS5CJTMS.js";import"./chunks/chunk-6MH4NOOX.js";import"./chunks/chunk-H4BDZYGY.js";import"./chunks/chunk-F432LZOC.js";var e=await s(process.argv.slice(2),{cwd:process.cwd(),env:process.env,stdout:process.stdout,stderr:process.stderr});process.exitCode=e;
