import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, poll, workspaceFile } from './api';

interface GitApi {
  openRepository?(root: vscode.Uri): Promise<unknown>;
  getRepository(uri: vscode.Uri): unknown;
}

suite('Compare with HEAD', function () {
  this.timeout(180000);

  test('a committed-then-edited prompt file: the panel shows the working-tree run, the HEAD run and the verdict', async () => {
    const a = await api();
    const root = workspaceFile('cmp-repo').fsPath;
    fs.mkdirSync(root, { recursive: true });
    const file = path.join(root, 'math.prompt');
    const committed = 'Tom has 3 apples. He buys 5 more. How many apples does Tom have?\n';
    const edited = 'Tom has 3 apples. He buys 5 more and gives 2 to Ann. How many apples does Tom have now?\n';
    fs.writeFileSync(file, committed);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=e2e@sinklens.test', '-c', 'user.name=e2e', '-c', 'init.defaultBranch=main', ...args], { cwd: root });
    git('init', '-q');
    git('add', 'math.prompt');
    git('commit', '-q', '-m', 'prompt');
    fs.writeFileSync(file, edited);
    const gitExt = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>('vscode.git');
    assert.ok(gitExt, 'the built-in git extension is present');
    // The harness turns git off in the user settings (a quiet workbench); this suite needs it.
    await vscode.workspace.getConfiguration('git').update('enabled', true, vscode.ConfigurationTarget.Global);
    const ext = await gitExt.activate();
    const gitApi = await poll(() => {
      try {
        return ext.getAPI(1);
      } catch {
        return undefined; // "Git model not found" until the extension has initialised with git enabled
      }
    }, 30000);
    assert.ok(gitApi, 'the git extension initialises once git.enabled is on');
    const uri = vscode.Uri.file(file);
    await gitApi.openRepository?.(vscode.Uri.file(root));
    assert.ok(await poll(() => gitApi.getRepository(uri) !== null, 30000), 'git sees the repository');

    const compare = (await vscode.commands.executeCommand('sinklens.compareWithHead', uri)) as { label: string; verdict: string; other: { input: { text: string } } } | undefined;
    assert.ok(compare, 'the command returns the comparison');
    assert.equal(compare.label, 'HEAD');
    assert.equal(compare.other.input.text.trim(), committed.trim());
    assert.match(compare.verdict, /^(valley (moved|unchanged|appeared|gone)|no valley in either).*, max sink rate (unchanged|[+\u2212]\d\.\d\d), spike /);
    const r = await poll(() => (a.lastResult()?.input.text.trim() === edited.trim() ? a.lastResult() : undefined), 30000);
    assert.ok(r, `lastResult text: ${JSON.stringify(a.lastResult()?.input.text)}`);
    assert.ok(await poll(() => a.panelState().ready, 30000), 'the panel is ready');
  });
});
