import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);
import{q as a}from"./chunk-HGN23ZBV.js";import"./chunk-F432LZOC.js";export default a();
