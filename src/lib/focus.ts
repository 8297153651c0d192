// Drill-down targets: the score card's links name what to look at in the URL (/vm?focus=memory,
// /trends?metric=steal, /maintenance?focus=cleanup, /models?focus=memory). The page marks that
// element (data-focused="true", outlined by app.css) and scrolls it into view. Browser only.

/** Which data-testid a URL parameter value focuses, from a page's own allow-list. */
export function focusTarget(value: string | null, targets: Record<string, string>): string | null {
	return value !== null && Object.hasOwn(targets, value) ? targets[value] : null;
}

/** Marks and scrolls to the element with that data-testid; returns the function that unmarks it. */
export function focusTestId(testid: string | null): () => void {
	if (!testid) return () => {};
	const el = document.querySelector<HTMLElement>(`[data-testid="${CSS.escape(testid)}"]`);
	if (!el) return () => {};
	el.dataset.focused = 'true';
	el.scrollIntoView({ block: 'center' });
	return () => void delete el.dataset.focused;
}
