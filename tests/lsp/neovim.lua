-- tests/lsp/neovim.lua - `pipec lsp` driven by Neovim's own LSP client,
-- run headless by tests/e2e/lsp_neovim.sh:
--
--   PIPEC=... WORK=DIR nvim --headless --clean -u NONE -i NONE -n -c 'luafile neovim.lua'
--
-- Each case acts as a user would (opens the file, types, asks for hover,
-- jumps to a definition, renames, applies a quick fix) and checks what
-- the editor then shows: its diagnostics, the floating hover window, the
-- cursor, the buffer's text.  Prints `ok - NAME` / `not ok - NAME` and
-- quits; the shell script counts them.

local pipec = os.getenv('PIPEC')
local work = os.getenv('WORK')
local results = {}
local exit_code, exit_signal = nil, nil
local initialized = false   -- the server answered `initialize`

local function report(ok, name, detail)
  if ok then
    print('ok - ' .. name)
  else
    print('not ok - ' .. name .. (detail and (': ' .. detail) or ''))
  end
  io.stdout:flush()
  table.insert(results, ok)
end

local function write(path, lines)
  local f = assert(io.open(path, 'w'))
  f:write(table.concat(lines, '\n') .. '\n')
  f:close()
end

local file = work .. '/.drone.yml'
write(file, {
  'kind: pipeline',
  'type: docker',
  'name: build',
  '',
  'steps:',
  '- name: test',
  '  image: &go golang:1.22',
  '  commands: [go test ./...]',
  '- name: lint',
  '  image: *go',
  '  depends_on: [test]',
  '  environment:',
  '    TOKEN:',
  '      from_secret: token',
  '  commands:',
  '  - echo "${DRONE_BRANCH}"',
  '---',
  'kind: secret',
  'name: token',
  'get: {path: ci, name: token}',
})

vim.cmd('edit ' .. file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = 'yaml'

local client_id = vim.lsp.start_client({
  name = 'pipec',
  cmd = { pipec, 'lsp' },
  root_dir = work,
  init_options = { context = { branch = 'feature/x' } },
  on_init = function() initialized = true end,
  on_exit = function(code, signal) exit_code, exit_signal = code, signal end,
})
vim.lsp.buf_attach_client(buf, client_id)
local client = vim.lsp.get_client_by_id(client_id)

local function wait(ms, cond)
  return vim.wait(ms, cond, 10)
end

local function diags()
  return vim.diagnostic.get(buf)
end

local function code_of(d)
  if d.code then return d.code end
  local lsp = d.user_data and d.user_data.lsp
  return lsp and lsp.code
end

local function find_diag(rule)
  for _, d in ipairs(diags()) do
    if code_of(d) == rule then return d end
  end
  return nil
end

local function set_line(lnum, text)   -- lnum from 1
  vim.api.nvim_buf_set_lines(buf, lnum - 1, lnum, false, { text })
end

local function line(lnum)
  return vim.api.nvim_buf_get_lines(buf, lnum - 1, lnum, false)[1]
end

-- The server starts and answers initialize.
report(wait(10000, function() return client.initialized end), 'neovim: the server initializes')

-- A clean file has no diagnostics (published, and empty).
local published = false
local orig = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  published = true
  return orig(err, result, ctx, config)
end
report(wait(5000, function() return published end) and #diags() == 0,
  'neovim: diagnostics are published for a clean file, and there are none',
  vim.inspect(diags()))

-- Typing a misspelt key: the underline sits on the key.
vim.api.nvim_buf_set_lines(buf, 10, 10, false, { '  imagee: x' })
local d
wait(5000, function() d = find_diag('unknown-key'); return d ~= nil end)
report(d ~= nil and d.lnum == 10 and d.col == 2 and d.end_col == 8 and
  d.severity == vim.diagnostic.severity.WARN,
  'neovim: an unknown key typed in is underlined where it is', vim.inspect(d))

local lsp_d = d and d.user_data and d.user_data.lsp
report(lsp_d ~= nil and lsp_d.codeDescription ~= nil and
  lsp_d.codeDescription.href:match('unknown%-key%.md$') ~= nil,
  'neovim: the diagnostic links to the rule page', vim.inspect(lsp_d))

-- Quick fix: the editor applies the did-you-mean (the user picks the
-- first action offered).
vim.ui.select = function(items, _, on_choice) on_choice(items[1], 1) end
vim.api.nvim_win_set_cursor(0, { 11, 3 })
vim.lsp.buf.code_action({ only = { 'quickfix' } })
wait(5000, function() return line(11) == '  image: x' end)
report(line(11) == '  image: x', 'neovim: the quick fix replaces the misspelt key', line(11))
vim.api.nvim_buf_set_lines(buf, 10, 11, false, {})

-- Characters beyond the Basic Multilingual Plane count two UTF-16 units:
-- a wrong type written after them is still underlined where it is.
vim.api.nvim_buf_set_lines(buf, 10, 10, false, { '  entrypoint: ["😀 é 😀", {a: b}]' })
wait(5000, function() d = find_diag('wrong-type'); return d ~= nil end)
local want = line(11):find('{a', 1, true)
report(d ~= nil and d.lnum == 10 and d.col == want - 1,
  'neovim: a finding after non-ASCII text is placed by UTF-16 columns',
  vim.inspect(d) .. ' want col ' .. tostring(want - 1))
vim.api.nvim_buf_set_lines(buf, 10, 11, false, {})
wait(5000, function() return #diags() == 0 end)

-- Hover on a key shows its documentation in a floating window.
local function float_text()
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(w).relative ~= '' then
      local b = vim.api.nvim_win_get_buf(w)
      return table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n'), w
    end
  end
  return nil
end
local function close_floats()
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(w).relative ~= '' then vim.api.nvim_win_close(w, true) end
  end
end

vim.api.nvim_win_set_cursor(0, { 10, 4 })   -- on `image`
vim.lsp.buf.hover()
local text
wait(5000, function() text = float_text(); return text ~= nil end)
report(text ~= nil and text:match('image') and text:match('container image'),
  'neovim: hover on a key shows what it means', text)
close_floats()

-- Hover on ${DRONE_BRANCH} shows its value in the build context the
-- editor configured.
local cmdline
for i = 1, vim.api.nvim_buf_line_count(buf) do
  if line(i):match('DRONE_BRANCH') then cmdline = i end
end
vim.api.nvim_win_set_cursor(0, { cmdline, (line(cmdline):find('DRONE')) })
vim.lsp.buf.hover()
text = nil
wait(5000, function() text = float_text(); return text ~= nil end)
report(text ~= nil and text:match('feature/x') ~= nil,
  'neovim: hover on a variable shows its value in the build context', text)
close_floats()

-- Completion of keys in a step, and of step names in depends_on.
local function complete(lnum, col)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = lnum - 1, character = col },
  }
  local res = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, 5000)
  local labels = {}
  for _, r in pairs(res or {}) do
    local items = r.result and (r.result.items or r.result) or {}
    for _, it in ipairs(items) do labels[it.label] = true end
  end
  return labels
end

vim.api.nvim_buf_set_lines(buf, 10, 10, false, { '  pri' })
local labels = complete(11, 5)
report(labels['privileged'] and labels['commands'] and not labels['image'] and not labels['kind'],
  'neovim: completion offers the keys a step takes, less those it has', vim.inspect(labels))
vim.api.nvim_buf_set_lines(buf, 10, 11, false, {})

local dep
for i = 1, vim.api.nvim_buf_line_count(buf) do
  if line(i):match('depends_on') then dep = i end
end
set_line(dep, '  depends_on: [')
labels = complete(dep, #'  depends_on: [')
report(labels['test'] and labels['lint'] and not labels['build'],
  'neovim: completion in depends_on offers the pipeline\'s steps', vim.inspect(labels))
set_line(dep, '  depends_on: [test]')

-- Go to definition: from depends_on to the step, from an alias to its
-- anchor, from from_secret to the secret document.
local function goto_def(lnum, col)
  vim.api.nvim_win_set_cursor(0, { lnum, col })
  local before = vim.api.nvim_win_get_cursor(0)
  vim.lsp.buf.definition()
  wait(5000, function()
    local c = vim.api.nvim_win_get_cursor(0)
    return c[1] ~= before[1] or c[2] ~= before[2]
  end)
  return vim.api.nvim_win_get_cursor(0)
end

local c = goto_def(dep, (line(dep):find('test')))
report(c[1] == 6 and line(6):sub(c[2] + 1, c[2] + 4) == 'test',
  'neovim: definition jumps from depends_on to the step', vim.inspect(c))

local alias
for i = 1, vim.api.nvim_buf_line_count(buf) do
  if line(i):match('%*go') then alias = i end
end
c = goto_def(alias, (line(alias):find('go')))
report(c[1] == 7 and line(7):sub(c[2] + 1, c[2] + 2) == 'go',
  'neovim: definition jumps from an alias to its anchor', vim.inspect(c))

local sec
for i = 1, vim.api.nvim_buf_line_count(buf) do
  if line(i):match('from_secret') then sec = i end
end
c = goto_def(sec, (line(sec):find('token')))
report(line(c[1]) == 'name: token', 'neovim: definition jumps from from_secret to the secret',
  vim.inspect(c))

-- Rename a step: every depends_on naming it follows.
vim.api.nvim_win_set_cursor(0, { 6, 9 })
vim.lsp.buf.rename('unit')
wait(5000, function() return line(6) == '- name: unit' end)
report(line(6) == '- name: unit' and line(dep) == '  depends_on: [unit]',
  'neovim: rename of a step updates its depends_on entries', line(6) .. ' / ' .. line(dep))

-- Document symbols: pipeline -> steps, and the secret.
local res = vim.lsp.buf_request_sync(buf, 'textDocument/documentSymbol',
  { textDocument = { uri = vim.uri_from_bufnr(buf) } }, 5000)
local syms
for _, r in pairs(res or {}) do syms = r.result end
local names = {}
for _, s in ipairs(syms or {}) do
  table.insert(names, s.name)
  for _, k in ipairs(s.children or {}) do table.insert(names, s.name .. '/' .. k.name) end
end
report(table.concat(names, ',') == 'build,build/unit,build/lint,token',
  'neovim: document symbols list pipelines, their steps and secrets', table.concat(names, ','))

-- A half-typed file does not break later requests.
vim.api.nvim_buf_set_lines(buf, 2, 2, false, { 'steps: [ {name: ' })
wait(300, function() return false end)
vim.api.nvim_buf_set_lines(buf, 2, 3, false, {})
wait(5000, function() return #diags() == 0 end)
report(initialized and exit_code == nil and #diags() == 0,
  'neovim: after a half-typed line is removed the file is clean again',
  vim.inspect(diags()) .. ', server running: ' .. tostring(initialized and exit_code == nil))

-- Shutdown and exit: the server exits 0.
vim.lsp.stop_client(client_id)
wait(5000, function() return exit_code ~= nil end)
report(initialized and exit_code == 0 and exit_signal == 0, 'neovim: the server exits 0 after shutdown',
  tostring(exit_code) .. ', signal ' .. tostring(exit_signal))

local failed = 0
for _, ok in ipairs(results) do if not ok then failed = failed + 1 end end
vim.cmd(failed == 0 and 'qa!' or 'cq!')
