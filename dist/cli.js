#!/usr/bin/env node
import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{b as s}from"./chunks/chunk-7Q5ZHAB2.js";import"./chunks/chunk-NF2GD5T3.js";import"./chunks/chunk-Y7KSL3DN.js";import"./chunks/chunk-F432LZOC.js";var e=await s(process.argv.slice(2),{cwd:process.cwd(),env:process.env,stdout:process.stdout,stderr:process.stderr});process.exitCode=e;
