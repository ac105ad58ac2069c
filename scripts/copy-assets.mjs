// tsc copies no non-TS files: the Lua scripts and the demo page's static files travel beside the JS.
import { cpSync, existsSync } from 'node:fs'
for (const dir of ['src/store/redis/lua', 'src/http/demo/public']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true })
}
