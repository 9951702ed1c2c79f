import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{a}from"./chunk-ZMD7HKKT.js";import"./chunk-HGN23ZBV.js";import"./chunk-F432LZOC.js";export default a();
