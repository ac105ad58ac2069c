// tsc copies no non-TS files: the Lua scripts, the demo's and the console's page files and the SDK's modules travel beside the JS.
import { cpSync, existsSync } from 'node:fs'
for (const dir of ['src/store/redis/lua', 'src/http/demo/public', 'src/http/admin/public', 'src/sdk']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true })
}
