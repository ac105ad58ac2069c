// tsc copies no non-TS files: the Lua scripts and the demo's and the console's page files travel beside the JS.
import { cpSync, existsSync } from 'node:fs'
for (const dir of ['src/store/redis/lua', 'src/http/demo/public', 'src/http/admin/public']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true })
}
