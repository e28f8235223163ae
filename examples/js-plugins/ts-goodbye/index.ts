'use strict';

// A Kong JavaScript plugin written in TypeScript, in a folder, naming itself with `Name` ('goodbye').

class GoodbyePlugin {
  message: string;

  constructor(config: { message?: string | null }) {
    this.message = config.message || 'goodbye';
  }

  async access(kong: any) {
    await kong.response.setHeader('x-goodbye-from-javascript', `JavaScript says ${this.message}`);
  }
}

module.exports = {
  Plugin: GoodbyePlugin,
  Name: 'goodbye',
  Schema: [
    { message: { type: 'string' } },
  ],
  Version: '0.1.0',
  Priority: 0,
};
