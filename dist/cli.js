#!/usr/bin/env node
import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{b as s}from"./chunks/chunk-ITWZGW26.js";import"./chunks/chunk-UVC2BSX3.js";import"./chunks/chunk-NHD7XM7L.js";import"./chunks/chunk-RVFJYCWJ.js";import"./chunks/chunk-F432LZOC.js";var e=await s(process.argv.slice(2),{cwd:process.cwd(),env:process.env,stdout:process.stdout,stderr:process.stderr});process.exitCode=e;
