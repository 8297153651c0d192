// ESLint as `sv create` sets it up (TypeScript + Svelte + Prettier), flat config.
// Formatting is Prettier's job: eslint-config-prettier turns off the rules that would fight it.
import prettier from 'eslint-config-prettier';
import { fileURLToPath } from 'node:url';
import { includeIgnoreFile } from '@eslint/compat';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

const gitignorePath = fileURLToPath(new URL('./.gitignore', import.meta.url));

export default defineConfig(
	includeIgnoreFile(gitignorePath),
	{
		// tests/client-consumer/type-errors/ holds files that must NOT compile (client-consumer.test.ts)
		ignores: ['tests/client-consumer/type-errors/**']
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: {
			globals: { ...globals.browser, ...globals.node }
		},
		rules: {
			// typescript-eslint recommends no-undef off on TypeScript projects: the compiler checks it
			// (https://typescript-eslint.io/troubleshooting/faqs/eslint/#i-get-errors-from-the-no-undef-rule-about-global-variables-not-being-defined-even-though-i-have-no-typescript-errors)
			'no-undef': 'off',
			// The rule wants every href and goto() through $app/paths resolve() so that a base path
			// (kit.paths.base) is prepended. vmwarden is built once for every install and served at
			// the root (no paths.base); in-app links go through one function, hostHref() in
			// $lib/host-context (here() for components), which adds ?host= and is where a base path
			// would be prepended if one is ever configured.
			'svelte/no-navigation-without-resolve': 'off',
			// a leading underscore names a value left out on purpose: `const { networks: _n, ...rest } = file`
			'@typescript-eslint/no-unused-vars': [
				'error',
				{
					argsIgnorePattern: '^_',
					varsIgnorePattern: '^_',
					destructuredArrayIgnorePattern: '^_',
					caughtErrorsIgnorePattern: '^_',
					ignoreRestSiblings: true
				}
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
