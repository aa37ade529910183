// A test SMTP server that accepts every message and keeps it: smtp-server speaks SMTP,
// mailparser decodes what arrived. Each message is appended to <out file> as one JSON line
// {from, to, to_name, subject, text, raw} before the server answers 250, so a sender that saw its
// message accepted finds it in the file. Prints "port <n>" on stdout once it listens.
//
//   node smtp_sink.js <port, 0 for any free one> <out file>
'use strict';

const fs = require('fs');
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const [portArg, outFile] = process.argv.slice(2);
if (portArg === undefined || !outFile) {
  console.error('usage: node smtp_sink.js <port> <out file>');
  process.exit(2);
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('error', callback);
    stream.on('end', async () => {
      try {
        const raw = Buffer.concat(chunks);
        const parsed = await simpleParser(raw);
        const line = JSON.stringify({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          to_name: parsed.to && parsed.to.value.length ? parsed.to.value[0].name : '',
          subject: parsed.subject || '',
          text: parsed.text || '',
          raw: raw.toString('utf8'),
        });
        fs.appendFileSync(outFile, line + '\n');
        callback();
      } catch (err) {
        callback(err);
      }
    });
  },
});

server.on('error', (err) => console.error('smtp_sink:', err.message));
server.listen(Number(portArg), '127.0.0.1', () => {
  console.log(`port ${server.server.address().port}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
