import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { ollamaRouter } from './routers/ollama';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	ollama: ollamaRouter
});

export type AppRouter = typeof appRouter;
