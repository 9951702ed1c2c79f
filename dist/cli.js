#!/usr/bin/env node
import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{b as s}from"./chunks/chunk-6XSLBBKI.js";import"./chunks/chunk-5GYX4BGO.js";import"./chunks/chunk-VGA67WHU.js";import"./chunks/chunk-B2UAT2OJ.js";import"./chunks/chunk-F432LZOC.js";var e=await s(process.argv.slice(2),{cwd:process.cwd(),env:process.env,stdout:process.stdout,stderr:process.stderr});process.exitCode=e;
