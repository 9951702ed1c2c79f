#!/usr/bin/env node
import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{b as s}from"./chunks/chunk-4SSRPDGU.js";import"./chunks/chunk-UN3LIJBC.js";import"./chunks/chunk-WILUAHYQ.js";import"./chunks/chunk-EXPWE6W4.js";import"./chunks/chunk-F432LZOC.js";var e=await s(process.argv.slice(2),{cwd:process.cwd(),env:process.env,stdout:process.stdout,stderr:process.stderr});process.exitCode=e;
