// Every subcommand, in `vmwarden help` order. A router's commands live in one file beside these
// (commands/<router>.ts exporting a Command); add it to this list.
import type { Command } from '../context';
import { health } from './health';
import { watch } from './watch';
import { score } from './score';
import { containers } from './containers';
import { timeline } from './timeline';

export const commands: Command[] = [health, watch, score, containers, timeline];
