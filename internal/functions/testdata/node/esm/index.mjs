export const handler = async (event) => ({ module: 'esm', echo: event });
